#include <choline/providers/rest_provider.hpp>

#include <choline/providers/ranking.hpp>
#include <choline/util/json.hpp>

#include <spdlog/spdlog.h>

#include <chrono>

namespace choline::providers {

namespace {

std::string label_of(const Host& host) {
  return util::JsonReader(host.access, "access").string("label");
}

}  // namespace

RestProvider::RestProvider(RestConfig config, RestIdentity identity, ResponseClassifier classify)
    : m_config(std::move(config)),
      m_identity(std::move(identity)),
      m_api(m_identity.display, m_config.http, std::move(classify), m_config.retry, m_config.clock),
      m_progress(m_identity.display + " " + m_identity.instance_noun) {}

Result<std::vector<Offer>> RestProvider::offers(const spec::GpuSpec& shape) {
  if (auto ok = can_serve(shape); !ok) return ok.error();
  return search(shape, false, k_default_disk_gb);
}

Result<Host> RestProvider::create(const HostRequest& request) {
  if (auto ok = can_serve(request.shape); !ok) return ok.error();
  if (auto ok = prepare(request); !ok) return ok.error();
  std::lock_guard lock(m_create_mutex);
  auto found = search(request.shape, request.interruptible, disk_of(request));
  if (!found) return found.error();
  auto offer = choose_offer(*found, request, m_tried.of(request.run_id), m_identity.display);
  if (!offer) return offer.error();
  const std::string label = instance_label(request.run_id, request.node, request.replacement);
  spdlog::info("node {}: renting {} offer {}{} ({}x {}, ${:.3f}/h, {})", request.node, m_identity.display, offer->id,
               offer->machine.empty() ? "" : " on machine " + offer->machine, offer->gpus, offer->gpu,
               effective_price(*offer), offer->location);
  auto rented = rent(*offer, request, label);
  m_tried.record(request, *offer,
                 rented                                       ? RentOutcome::rented
                 : rented.error().kind == ErrorKind::capacity ? RentOutcome::refused
                                                              : RentOutcome::failed);
  if (!rented) return rented.error();
  Host host;
  host.provider = m_identity.name;
  host.id = rented->id;
  host.root = m_config.workdir + "/runs/" + request.run_id + "/node" + std::to_string(request.node);
  host.agent_dir = m_config.workdir + "/agent";
  host.gpu = request.shape.gpu;
  host.slots = request.shape.count;
  host.price_per_hour = effective_price(*offer);
  host.access = rented->access;
  host.access["label"] = label;
  host.access["user"] = ssh_user();
  const std::string machine = rented->machine.empty() ? offer->machine : rented->machine;
  if (!machine.empty()) host.access["machine"] = machine;
  m_progress.rented(host);
  return host;
}

Result<HostStatus> RestProvider::status(const Host& host) {
  auto view = read(host);
  if (!view) return view.error();
  if (view->status == HostStatus::ready && !ssh_answers(view->ssh_host, view->ssh_port, 1000)) {
    view->status = HostStatus::provisioning;
    view->message += ", waiting for sshd";
  }
  m_progress.report(host, view->message, view->status);
  if (view->status == HostStatus::ready) on_ready(host);
  return view->status;
}

Host RestProvider::located(const Host& host) {
  auto view = read(host);
  if (!view) return host;
  Host up = host;
  if (!view->machine.empty()) up.access["machine"] = view->machine;
  if (view->ssh_port == 0) return up;
  up.address = view->address.empty() ? view->ssh_host : view->address;
  up.access["ssh_host"] = view->ssh_host;
  up.access["ssh_port"] = view->ssh_port;
  return up;
}

Result<std::unique_ptr<transport::Transport>> RestProvider::connect(const Host& host) {
  if (host.access.contains("ssh_host")) return connect_rented(host, m_config.private_key);
  return connect_rented(located(host), m_config.private_key);
}

Status RestProvider::release(const Host& host) {
  m_progress.released(host);
  const std::string what = m_identity.display + " " + m_identity.instance_noun + " " + host.id;
  for (int check = 0; check < k_destroy_checks; ++check) {
    if (auto done = destroy(host); !done && done.error().kind != ErrorKind::not_found) {
      spdlog::warn("{}: destroy: {}", what, done.error().message);
    }
    // Read back: gone means no instance with this id *and* this label (ids are reused).
    if (auto view = read(host); view && !view->exists) return {};
    m_config.clock->sleep_for(std::chrono::milliseconds(k_destroy_backoff_ms * (check + 1)));
  }
  return make_error(ErrorKind::remote, what + " (" + label_of(host) + ") still exists after " +
                                           std::to_string(k_destroy_checks) + " destroy attempts");
}

Result<std::vector<Host>> RestProvider::labelled_instances(const std::string& label_prefix) {
  auto listed = list();
  if (!listed) return listed.error();
  std::vector<Host> hosts;
  for (const auto& instance : *listed) {
    if (instance.id.empty() || instance.label.rfind(label_prefix, 0) != 0) continue;
    Host host;
    host.provider = m_identity.name;
    host.id = instance.id;
    host.price_per_hour = instance.price_per_hour;
    host.access = {{"label", instance.label}, {"user", ssh_user()}};
    hosts.push_back(host);
  }
  return hosts;
}

Result<nlohmann::json> RestProvider::call(const std::string& method, const std::string& path, const std::string& body) {
  return m_api.call({method, m_config.base_url + path, {{"Authorization", "Bearer " + m_config.api_key}}, body});
}

std::string RestProvider::ssh_user() const {
  return m_config.ssh_user.empty() ? m_identity.default_user : m_config.ssh_user;
}

Result<InstanceView> RestProvider::read(const Host& host) {
  auto view = fetch(host);
  if (!view) {
    if (view.error().kind != ErrorKind::not_found) return view.error();
    InstanceView missing;
    missing.status = HostStatus::gone;
    missing.exists = false;
    missing.message = "no such " + m_identity.instance_noun;
    return missing;
  }
  require_label(*view, label_of(host));
  return view;
}

}  // namespace choline::providers
