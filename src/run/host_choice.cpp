#include <choline/run/host_choice.hpp>

#include <algorithm>

namespace choline::run {

std::string machine_of(const records::RunRecord& record, const std::string& host_id) {
  for (const auto& host : record.hosts) {
    if (host.host.id == host_id) return host.host.access.value("machine", host_id);
  }
  return host_id;
}

std::vector<std::string> excluded_machines(const records::RunRecord& record, int node) {
  std::vector<std::string> ids;
  for (const auto& loss : record.host_losses) ids.push_back(machine_of(record, loss.host_id));
  for (int other = 0; other < std::max(1, record.options.spec.nodes); ++other) {
    const records::HostRecord* host = record.current_host(other);
    if (host && other != node) ids.push_back(machine_of(record, host->host.id));
  }
  return ids;
}

providers::HostRequest host_request_for(const records::RunRecord& record, int node) {
  providers::HostRequest request{record.id,
                                 node,
                                 record.options.spec,
                                 record.options.image,
                                 record.options.max_price,
                                 excluded_machines(record, node)};
  request.replacement = static_cast<int>(std::count_if(record.hosts.begin(), record.hosts.end(),
                                                       [&](const records::HostRecord& h) { return h.node == node; }));
  return request;
}

std::optional<Error> landed_on_excluded(const providers::Host& host, const providers::HostRequest& request) {
  if (!host.access.is_object()) return std::nullopt;
  const auto machine = host.access.find("machine");
  if (machine == host.access.end() || !machine->is_string()) return std::nullopt;
  const std::string& id = machine->get_ref<const std::string&>();
  if (std::find(request.exclude.begin(), request.exclude.end(), id) == request.exclude.end()) return std::nullopt;
  return make_error(ErrorKind::capacity, "the provider placed " + host.id + " on machine " + id +
                                             ", which this run lost or already uses; renting another");
}

std::optional<Event> boot_event(int node, const Result<providers::HostStatus>& status, bool interrupted,
                                bool past_deadline) {
  if (status && *status == providers::HostStatus::ready) return event::Provisioned{{node}};
  if (status && *status == providers::HostStatus::gone) return event::HostLost{node, "the provider reports it gone"};
  if (interrupted) return event::ProvisionFailed{node, make_error(ErrorKind::interrupted, "interrupted")};
  if (past_deadline) return event::HostLost{node, "it did not come up in time"};
  return std::nullopt;
}

}  // namespace choline::run
