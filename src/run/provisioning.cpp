// Renting hosts for nodes and waiting until they are up (the Create action).
#include "execution.hpp"

#include <choline/run/host_choice.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace choline::run {

namespace {

// The host becomes the node's in the record, journaled before anything else is done with it.
Status record_host(Execution& run, int node, const Lease& lease) {
  std::lock_guard lock(run.record_mutex);
  records::HostRecord record;
  record.node = node;
  record.host = lease.host;
  run.record.hosts.push_back(record);
  nlohmann::json fields = {{"node", node},
                           {"id", lease.host.id},
                           {"address", lease.host.address},
                           {"label", lease.host.access.value("label", "")}};
  if (!lease.pool.empty()) fields["pool"] = lease.pool;
  if (auto ok = run.journal_locked(records::JournalEvent::host_created, std::move(fields)); !ok) {
    run.record.hosts.pop_back();
    return ok;
  }
  if (lease.warm) run.warm_hosts[lease.host.id] = lease.python;
  return {};
}

// A host that must not serve the node after all goes back at once (the pool forgets it).
Event refuse_host(Execution& run, int node, const Error& why) {
  if (records::HostRecord* host = run.record.current_host(node)) run.release(*host, why.message, /*lost=*/true);
  (void)run.journal(records::JournalEvent::provision_failed, {{"node", node}, {"error", why.message}});
  return event::ProvisionFailed{node, why};
}

// REST providers learn the address only once the host is up: journaled. A provider that does not
// choose the machine may only now say which one it is.
std::optional<Event> came_up(Execution& run, int node, const providers::Host& host,
                             const providers::HostRequest& request) {
  const providers::Host up = run.pool.located(host);
  if (up.address != host.address || up.access != host.access) {
    std::lock_guard lock(run.record_mutex);
    if (records::HostRecord* record = run.record.current_host(node); record && record->host.id == up.id) {
      record->host = up;
      (void)run.journal_locked(records::JournalEvent::host_up,
                               {{"node", node}, {"id", up.id}, {"address", up.address}});
    }
  }
  if (auto wrong = landed_on_excluded(up, request)) return refuse_host(run, node, *wrong);
  return std::nullopt;
}

}  // namespace

std::vector<Event> provision(Execution& run, const std::vector<int>& nodes) {
  std::vector<Event> events;
  std::map<int, providers::Host> booting;
  std::map<int, providers::HostRequest> requests;
  for (int node : nodes) {
    spdlog::debug("run {}: Create({})", run.record.id, node);
    const providers::HostRequest request = host_request_for(run.record, node);
    auto lease = run.pool.acquire(request, run.preparation, [&](const Lease& l) { return record_host(run, node, l); });
    if (!lease) {
      (void)run.journal(records::JournalEvent::provision_failed, {{"node", node}, {"error", lease.error().message}});
      events.push_back(event::ProvisionFailed{node, lease.error()});
    } else if (auto wrong = landed_on_excluded(lease->host, request)) {
      events.push_back(refuse_host(run, node, *wrong));
    } else {
      booting[node] = lease->host;
      requests[node] = request;
    }
  }

  // Every booting host in one loop on this thread: the boots overlap, only the pool is waited on.
  util::Clock& clock = *run.seams.clock;
  const auto deadline = clock.now() + run.seams.provision_timeout;
  auto poll_every = std::chrono::duration_cast<util::Clock::Duration>(std::chrono::milliseconds(250));
  std::map<int, Event> outcomes;
  std::vector<int> up;
  while (outcomes.size() + up.size() < booting.size()) {
    for (const auto& [node, host] : booting) {
      if (outcomes.count(node) || std::count(up.begin(), up.end(), node)) continue;
      auto status = run.pool.status(host);
      if (!status) spdlog::debug("{}: status: {}", host.id, status.error().message);
      auto event = boot_event(node, status, run.seams.interrupted(), clock.now() >= deadline);
      if (!event) continue;
      if (!std::holds_alternative<event::Provisioned>(*event)) {
        outcomes.emplace(node, std::move(*event));
      } else if (auto refused = came_up(run, node, host, requests.at(node))) {
        outcomes.emplace(node, std::move(*refused));
      } else {
        up.push_back(node);
      }
    }
    if (outcomes.size() + up.size() == booting.size()) break;
    clock.sleep_for(poll_every);
    // Quick at first (a host often boots in seconds), then at most once a second per host.
    poll_every = std::min<util::Clock::Duration>(poll_every * 6 / 5, std::chrono::seconds(1));
  }
  if (!up.empty()) {
    std::sort(up.begin(), up.end());
    events.push_back(event::Provisioned{up});
  }
  for (auto& [node, outcome] : outcomes) events.push_back(std::move(outcome));
  return events;
}

}  // namespace choline::run
