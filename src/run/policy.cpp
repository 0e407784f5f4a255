#include <choline/run/policy.hpp>

#include <choline/util/strings.hpp>

#include <algorithm>

namespace choline::run {

AttemptOutcome combine_outcomes(const std::vector<std::string>& host_statuses) {
  bool stopped = false;
  for (const auto& status : host_statuses) {
    if (status == "failed") return AttemptOutcome::failed;
    if (status != "succeeded") stopped = true;
  }
  return stopped ? AttemptOutcome::stopped : AttemptOutcome::succeeded;
}

RunState final_state_of(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::succeeded: return RunState::succeeded;
    case AttemptOutcome::stopped: return RunState::stopped;
    case AttemptOutcome::failed: return RunState::failed;
  }
  return RunState::failed;
}

Decision decide_after_attempt(AttemptOutcome outcome, int attempts_done, int max_restarts) {
  if (outcome == AttemptOutcome::failed && attempts_done <= max_restarts) return {true, RunState::running};
  return {false, final_state_of(outcome)};
}

std::optional<std::string> newest_checkpoint(const std::vector<CheckpointFile>& files) {
  const CheckpointFile* best = nullptr;
  for (const auto& file : files) {
    const std::string base = file.name.substr(file.name.rfind('/') + 1);
    if (base.empty() || base[0] == '.' || util::ends_with(base, ".tmp") || util::ends_with(base, ".partial")) continue;
    if (!best || file.mtime_ns > best->mtime_ns || (file.mtime_ns == best->mtime_ns && file.name > best->name)) best = &file;
  }
  if (!best) return std::nullopt;
  return best->name;
}

int job_exit_code(AttemptOutcome outcome, const std::vector<int>& failed_codes) {
  if (outcome == AttemptOutcome::succeeded) return 0;
  for (int code : failed_codes) {
    if (code != 0) return code;
  }
  return 1;
}

}  // namespace choline::run
