#pragma once
// What `choline resume` does with a run, pure: nothing (it already succeeded), re-attach (its
// hosts still run the attempt), or a new attempt (after recording how the last one ended while
// nobody watched). The hosts' job states are an observation the caller makes on request.

#include <choline/agent/job_state.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/lifecycle.hpp>

#include <functional>
#include <optional>
#include <vector>

namespace choline::run {

enum class ResumeKind { nothing_to_do, reattach, new_attempt };

struct ResumePlan {
  ResumeKind kind = ResumeKind::new_attempt;
  // The last attempt was still recorded as running but its hosts run nothing: how it ended, as
  // far as they still know.
  std::optional<AttemptResult> ended_while_detached;
  int next_attempt = 1;  // for new_attempt
};

// `probe_hosts` asks each node's host how its job stands (unreachable hosts: not running); it is
// called only when the answer matters.
ResumePlan plan_resume(const records::RunRecord& record,
                       const std::function<std::vector<agent::JobState>()>& probe_hosts);

// "failed: rank 1 exited 3 (while detached)": how such an attempt is recorded.
std::string detached_outcome(const AttemptResult& result);

}  // namespace choline::run
