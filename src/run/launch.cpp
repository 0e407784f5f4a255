// Starting an attempt on every node (the Launch action): the laptop's checkpoints go to the nodes
// that lack them, the master port is picked, the multi-node preflight runs, the attempt is
// journaled, and every node's supervisor starts at once.
#include "execution.hpp"

#include <choline/records/checkpoint_index.hpp>
#include <choline/run/launch_plan.hpp>
#include <choline/util/parallel.hpp>

#include <numeric>

namespace choline::run {

std::optional<Event> launch(Execution& run, const action::Launch& a) {
  records::RunRecord& record = run.record;
  const std::string resume_from = records::checkpoint_to_resume(record);
  if (a.restart) {
    record.restarts = a.restart_number;
    run.out << "choline: restarting all workers" << (resume_from.empty() ? "" : " from " + resume_from) << " (restart "
            << record.restarts << " of " << record.options.max_restarts << ")\n";
  }
  for (int node : nodes_to_seed(a, resume_from)) {
    auto pushed = run.control(node).push_directory(record.checkpoints_dir(), record.options.checkpoint_dir);
    if (!pushed) return event::LaunchFailed{node, pushed.error().with_context("pushing checkpoints")};
  }
  record.master_port = master_port_from(run.seams.random());
  if (auto refused = preflight(run)) return refused;

  records::AttemptRecord attempt;
  attempt.number = a.attempt;
  attempt.started_at = util::now_iso8601();
  attempt.resume_from = resume_from;
  record.attempts.push_back(attempt);
  record.state = records::RunState::running;
  if (auto ok =
          run.journal(records::JournalEvent::attempt_started, {{"attempt", a.attempt}, {"resume_from", resume_from}});
      !ok) {
    return event::LaunchFailed{0, ok.error()};
  }
  const auto jobs = build_job_specs(record, a.attempt, resume_from, run.job_env);
  const auto held = run.sink().offsets();
  std::vector<int> nodes(jobs.size());
  std::iota(nodes.begin(), nodes.end(), 0);
  for (int node : nodes) {
    records::HostRecord& host = *record.current_host(node);
    host.log_base = log_base_for(host, node, held);
  }
  // Each launch is an SSH round trip or more: all at once, the pids journaled in node order.
  const auto pids = util::parallel_map(nodes, [&](int node) { return run.control(node).launch(jobs[node]); });
  for (int node : nodes) {
    records::HostRecord& host = *record.current_host(node);
    const auto& pid = pids[static_cast<std::size_t>(node)];
    if (!pid) return event::LaunchFailed{node, pid.error().with_context("launching on " + host.host.id)};
    host.agent_pid = *pid;
    if (auto ok = run.journal(records::JournalEvent::launched, {{"node", node}, {"agent_pid", *pid}}); !ok) {
      return event::LaunchFailed{node, ok.error()};
    }
  }
  return std::nullopt;
}

}  // namespace choline::run
