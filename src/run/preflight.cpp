// Multi-node preflight: node 0 listens on the master port and a second one, every other node
// connects. Hosts that cannot reach each other (P2P hosts behind NAT) fail here in seconds, with
// what to do, instead of in a collective's 30-minute timeout.
#include "execution.hpp"

#include <choline/run/launch_plan.hpp>
#include <choline/util/parallel.hpp>

#include <spdlog/spdlog.h>

namespace choline::run {

std::optional<Event> preflight(Execution& run) {
  if (run.nodes() < 2) return std::nullopt;
  records::RunRecord& record = run.record;
  std::vector<int> ports;
  Result<std::unique_ptr<transport::Stream>> listener = std::unique_ptr<transport::Stream>{};
  for (int picks = 1;; ++picks) {
    int second = master_port_from(run.seams.random());
    while (second == record.master_port) second = master_port_from(run.seams.random());
    ports = {record.master_port, second};
    listener = run.control(0).listen_for_probes(ports);
    if (listener || !should_pick_port_again(listener.error(), picks)) break;
    record.master_port = master_port_from(run.seams.random());  // the job gets the port that was listened on
  }
  if (!listener) return event::LaunchFailed{0, listener.error().with_context("multi-node preflight")};
  if (!*listener) return std::nullopt;  // this kind of host takes no part
  spdlog::debug("multi-node preflight: node 0 listens on ports {} and {}", ports[0], ports[1]);
  const std::string master = record.current_host(0)->host.address;
  std::vector<int> others;
  for (int node = 1; node < run.nodes(); ++node) others.push_back(node);
  const auto unreachable =
      util::parallel_map(others, [&](int node) { return run.control(node).unreachable(master, ports); });
  (*listener)->close_write();
  (void)(*listener)->wait();
  return preflight_verdict(master, others, unreachable);
}

}  // namespace choline::run
