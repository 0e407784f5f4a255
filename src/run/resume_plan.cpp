#include <choline/run/resume_plan.hpp>

#include <algorithm>

namespace choline::run {

namespace {

bool any_running(const std::vector<agent::JobState>& states) {
  return std::any_of(states.begin(), states.end(), [](const agent::JobState& s) {
    return s.status == agent::JobStatus::running || s.status == agent::JobStatus::starting;
  });
}

}  // namespace

ResumePlan plan_resume(const records::RunRecord& record,
                       const std::function<std::vector<agent::JobState>()>& probe_hosts) {
  ResumePlan plan;
  if (record.state == records::RunState::succeeded) {
    plan.kind = ResumeKind::nothing_to_do;
    return plan;
  }
  const auto states = probe_hosts();
  if (any_running(states)) {
    plan.kind = ResumeKind::reattach;
    return plan;
  }
  const bool attempt_open = !record.attempts.empty() && record.attempts.back().ended_at.empty();
  if (attempt_open) plan.ended_while_detached = combine_attempt(states);
  plan.next_attempt = record.attempts.empty() ? 1 : record.attempts.back().number + 1;
  return plan;
}

std::string detached_outcome(const AttemptResult& result) {
  return result.description + " (while detached)";
}

}  // namespace choline::run
