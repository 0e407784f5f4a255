#pragma once
// The run commands as the user sees them (train, resume, logs, stop): each loads or creates the
// record, opens the provider, and hands the executor the event that starts its part.

#include <choline/logs/log_view.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/seams.hpp>
#include <choline/spec/job.hpp>
#include <choline/spec/run_options.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <string>

namespace choline::run {

struct TrainRequest {
  std::filesystem::path project_dir;
  spec::RunOptions options;
  spec::JobCommand job;
  std::map<std::string, std::string> forwarded_env;  // values of options.env on this machine
};

// How a followed run's worker lines are shown in the terminal.
struct LiveView {
  // Also the workers' `choline-metrics:` lines (--show-metrics); they are always kept in the
  // rank files and metrics.jsonl.
  bool show_metrics = false;
};

// Whether the plan can ever be served: the provider opens (credentials, configuration) and can
// serve the GPU spec and node count. A usage error with the provider's advice otherwise. Asks
// nothing over the network; train() checks it before a run record exists.
Status check_plan(const spec::RunOptions& options);

// `choline train`: a new run, followed to its end (or until detached). A plan check_plan refuses
// creates no run.
Result<int> train(const TrainRequest& request, std::ostream& out, const RunHooks& hooks = {},
                  const LiveView& view = {});

// `choline resume`: re-attaches to a run whose job is still running, or starts a new attempt
// from the last checkpoint (renting hosts for nodes that have none).
Result<int> resume(records::RunRecord& record, const std::map<std::string, std::string>& forwarded_env,
                   std::ostream& out, const RunHooks& hooks = {}, const LiveView& view = {});

// The same on seams the caller provides (a sweep's: its pool, its stop requests), opened only
// when the plan needs the hosts; `open_seams` returns null when it cannot, and `open_error`
// then says why.
Result<int> resume_with(records::RunRecord& record, const std::function<Seams*()>& open_seams,
                        const std::map<std::string, std::string>& forwarded_env, std::ostream& out,
                        const std::function<Error()>& open_error);

// `choline logs`: prints what the run's hosts hold (fetched first, so lines written while nobody
// followed are there too, or what is held locally when no host answers); with `follow`, streams
// the rest until the job ends, then records the outcome (pulling the last checkpoints and
// releasing the hosts). Only the lines `query` selects are shown, held and followed alike; a rank
// or node the run does not have is a usage error naming the ones it has.
Result<int> show_logs(records::RunRecord& record, bool follow, const logs::LogQuery& query, std::ostream& out,
                      const RunHooks& hooks = {}, const LiveView& view = {});

// `choline stop`: stops the workers, pulls the last checkpoints, releases the hosts.
Result<int> stop(records::RunRecord& record, std::ostream& out, const RunHooks& hooks = {});

}  // namespace choline::run
