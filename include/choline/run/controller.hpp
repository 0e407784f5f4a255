#pragma once
// The run lifecycle with its side effects: rent hosts, install the agent, push, set up, launch,
// follow logs, pull checkpoints, restart on failure, release. Decisions come from policy.hpp;
// every step that matters for money or recovery is journaled in run.json before it is acted on.

#include <choline/run/run_record.hpp>
#include <choline/spec/job.hpp>

#include <filesystem>
#include <map>
#include <ostream>

namespace choline::run {

// How often checkpoints are pulled while a job runs.
inline constexpr int k_checkpoint_pull_seconds = 10;
// How often a lost log stream is re-opened before the host counts as unreachable.
inline constexpr int k_log_reconnect_attempts = 5;

struct TrainRequest {
  std::filesystem::path project_dir;
  spec::RunOptions options;
  spec::JobCommand job;
  std::map<std::string, std::string> forwarded_env;  // values of options.env on this machine
};

// `choline train`: a new run, followed to its end (or until detached). Returns the job's exit
// code, or 130 when interrupted.
Result<int> train(const TrainRequest& request, std::ostream& out);

// `choline resume`: re-attaches to a run whose job is still running, or starts a new attempt
// from the last checkpoint.
Result<int> resume(RunRecord& record, const std::map<std::string, std::string>& forwarded_env, std::ostream& out);

// `choline logs`: prints what is held locally; with `follow`, streams the rest until the job
// ends, then records the outcome (pulling the last checkpoints and releasing the hosts).
Result<int> show_logs(RunRecord& record, bool follow, std::ostream& out);

// `choline stop`: stops the workers, pulls the last checkpoints, releases the hosts.
Result<int> stop(RunRecord& record, std::ostream& out);

}  // namespace choline::run
