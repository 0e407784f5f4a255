#pragma once
// Decisions of the run lifecycle, pure: given what happened, what to do next. No I/O, so every
// branch is unit-tested.

#include <choline/run/run_record.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace choline::run {

enum class AttemptOutcome { succeeded, failed, stopped };

// Combines the final states of every host's workers ("succeeded", "failed", "stopped"): one
// failure fails the attempt (gang semantics); a stop anywhere stops it.
AttemptOutcome combine_outcomes(const std::vector<std::string>& host_statuses);

// The run state an attempt's outcome ends the run in, when it is not retried.
RunState final_state_of(AttemptOutcome outcome);

struct Decision {
  bool restart = false;
  RunState final_state = RunState::succeeded;  // when not restarting
};

// After attempt number `attempts_done` ended with `outcome`: a failure is retried while
// restarts remain (max_restarts counts restarts, not attempts).
Decision decide_after_attempt(AttemptOutcome outcome, int attempts_done, int max_restarts);

struct CheckpointFile {
  std::string name;  // relative to the checkpoint directory
  std::int64_t mtime_ns = 0;
};

// The checkpoint to resume from: the newest complete file, ignoring temp files (".tmp",
// ".partial", names starting with '.'). Ties go to the greater name.
std::optional<std::string> newest_checkpoint(const std::vector<CheckpointFile>& files);

// The exit code of a finished job: 0 on success, else the first failed rank's code (1 if none
// is known, e.g. a stop).
int job_exit_code(AttemptOutcome outcome, const std::vector<int>& failed_codes);

}  // namespace choline::run
