#pragma once
// The executor of the run lifecycle: it carries out the actions lifecycle.hpp decides (rent,
// prepare, launch, follow, stop, release, finish) and turns what it observes into the next event.
// It decides nothing itself. Everything that matters for money or recovery is journaled in
// run.json before it is acted on.

#include <choline/logs/log_view.hpp>
#include <choline/providers/provider.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/host_session.hpp>
#include <choline/run/lifecycle.hpp>
#include <choline/spec/job.hpp>
#include <choline/util/clock.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <ostream>

namespace choline::run {

// How often checkpoints are pulled while a job runs.
inline constexpr auto k_checkpoint_pull_every = std::chrono::seconds(10);
// How often a lost log stream is re-opened before the host counts as unreachable.
inline constexpr int k_log_reconnect_attempts = 5;
// How long a rented host may take to come up.
inline constexpr auto k_provision_timeout = std::chrono::minutes(10);

// What the layers above the run layer want done at points of a run; the run layer knows nothing
// of them (the CLI passes report::write_model_cards, for one).
struct RunHooks {
  // After every checkpoint pull that succeeded (also one that brought nothing new: a model
  // card's metrics may have arrived since).
  std::function<void(const records::RunRecord&)> checkpoints_pulled;
};

// What the executor works with. The real ones come from make_seams(); tests pass fakes.
struct Seams {
  providers::Provider* provider = nullptr;
  HostOpener open_host;
  util::Clock* clock = &util::system_clock();
  // Polled while following: nullopt when nobody pressed Ctrl-C, else the user's answer (true:
  // stop the run, false: detach).
  std::function<std::optional<bool>()> poll_interrupt;
  std::chrono::milliseconds poll_every{100};
  util::Clock::Duration checkpoint_pull_every = k_checkpoint_pull_every;
  // How long a rented host may take to come up (CHOLINE_PROVISION_TIMEOUT_S overrides it).
  util::Clock::Duration provision_timeout = k_provision_timeout;
  // Where followed logs go; null: a sink over the run's logs directory echoing to `out`.
  logs::LogSink* sink = nullptr;
  // Colour the echoed log lines (make_seams: when stdout is a colour terminal).
  bool color_logs = false;
  RunHooks hooks;
};

// Seams over the real provider, sessions, clock and terminal (Ctrl-C asks "detach or stop?" on
// a terminal, detaches without one; `may_stop` false always detaches, for `logs -f`).
Seams make_seams(providers::Provider& provider, bool may_stop = true);

// Runs the lifecycle on `record` from `first` until the run finishes or is detached. `job_env`
// holds the forwarded variables' values (never journaled). `observer`: see Snapshot::observer.
// Returns the job's exit code (130 when detached or stopped by Ctrl-C), or the error that ended
// the run before its job could.
Result<int> execute(records::RunRecord& record, Seams& seams, const Event& first,
                    const std::map<std::string, std::string>& job_env, std::ostream& out, bool observer = false);

struct TrainRequest {
  std::filesystem::path project_dir;
  spec::RunOptions options;
  spec::JobCommand job;
  std::map<std::string, std::string> forwarded_env;  // values of options.env on this machine
};

// `choline train`: a new run, followed to its end (or until detached).
Result<int> train(const TrainRequest& request, std::ostream& out, const RunHooks& hooks = {});

// `choline resume`: re-attaches to a run whose job is still running, or starts a new attempt
// from the last checkpoint (renting hosts for nodes that have none).
Result<int> resume(records::RunRecord& record, const std::map<std::string, std::string>& forwarded_env,
                   std::ostream& out, const RunHooks& hooks = {});

// `choline logs`: prints what is held locally; with `follow`, streams the rest until the job
// ends, then records the outcome (pulling the last checkpoints and releasing the hosts). Only
// the lines `query` selects are shown, held and followed alike; a rank or node the run does not
// have is a usage error naming the ones it has.
Result<int> show_logs(records::RunRecord& record, bool follow, const logs::LogQuery& query, std::ostream& out,
                      const RunHooks& hooks = {});

// `choline stop`: stops the workers, pulls the last checkpoints, releases the hosts.
Result<int> stop(records::RunRecord& record, std::ostream& out, const RunHooks& hooks = {});

}  // namespace choline::run
