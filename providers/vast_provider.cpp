// vast.ai: a marketplace of strangers' machines. Offers come from a search, an instance is a
// container on one of them, reached by SSH on a mapped port. Instance ids are reused: a destroy
// is verified by reading the instance back by id *and* label.
#include <choline/providers/registry.hpp>
#include <choline/providers/rest.hpp>

#include <choline/providers/ranking.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>

namespace choline::providers {

namespace vast {

namespace {

// choline's GPU names -> vast's gpu_name.
const std::map<std::string, std::string>& gpu_table() {
  static const std::map<std::string, std::string> table = {
      {"RTX3060", "RTX 3060"},       {"RTX3070", "RTX 3070"},     {"RTX3080", "RTX 3080"},
      {"RTX3090", "RTX 3090"},       {"RTX3090TI", "RTX 3090 Ti"}, {"RTX4070", "RTX 4070"},
      {"RTX4080", "RTX 4080"},       {"RTX4090", "RTX 4090"},     {"RTX5090", "RTX 5090"},
      {"RTXA4000", "RTX A4000"},     {"RTXA5000", "RTX A5000"},   {"RTXA6000", "RTX A6000"},
      {"RTX6000ADA", "RTX 6000Ada"}, {"A100", "A100 SXM4"},       {"A100-40GB", "A100 PCIE"},
      {"A100-80GB", "A100 SXM4"},    {"H100", "H100 SXM"},        {"H100-NVL", "H100 NVL"},
      {"V100", "Tesla V100"},        {"L40S", "L40S"},            {"A40", "A40"},
  };
  return table;
}

double number(const nlohmann::json& j, const char* key, double fallback = 0) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

std::string text(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

}  // namespace

std::optional<std::string> gpu_name(const std::string& canonical) {
  auto it = gpu_table().find(canonical);
  if (it == gpu_table().end()) return std::nullopt;
  return it->second;
}

nlohmann::json search_body(const spec::GpuSpec& shape, bool interruptible, int disk_gb) {
  // The CLI's defaults, then the shape.
  return {{"verified", {{"eq", true}}},
          {"external", {{"eq", false}}},
          {"rentable", {{"eq", true}}},
          {"rented", {{"eq", false}}},
          {"gpu_name", {{"eq", gpu_name(shape.gpu).value_or(shape.gpu)}}},
          {"num_gpus", {{"eq", shape.count}}},
          {"order", nlohmann::json::array({nlohmann::json::array({"dph_total", "asc"})})},
          {"type", interruptible ? "bid" : "on-demand"},
          {"limit", 64},
          {"allocated_storage", disk_gb}};
}

std::vector<Offer> parse_offers(const nlohmann::json& answer, int disk_gb, bool interruptible) {
  std::vector<Offer> offers;
  if (!answer.contains("offers") || !answer["offers"].is_array()) return offers;
  for (const auto& o : answer["offers"]) {
    Offer offer;
    offer.provider = "vast";
    offer.id = text(o, "id");
    offer.machine = text(o, "machine_id");
    offer.gpu = text(o, "gpu_name");
    offer.gpus = util::JsonReader(o, "offers[]").integer("num_gpus", 1);  // no float-to-int cast of 1e300
    const double total = number(o, "dph_total");
    const double storage = number(o, "storage_cost") * disk_gb / (30.0 * 24.0);  // $/GB/month -> $/h
    // dph_total includes the allocated storage; dph_base is the machine alone.
    double gpu_price = o.contains("dph_base") ? number(o, "dph_base") : std::max(0.0, total - storage);
    if (interruptible) gpu_price = number(o, "min_bid", gpu_price);
    offer.price_per_hour = gpu_price;
    offer.storage_per_hour = storage;
    offer.reliability = number(o, "reliability2", number(o, "reliability", 1));
    offer.location = text(o, "geolocation");
    offer.inet_down_mbps = number(o, "inet_down");
    offer.inet_up_mbps = number(o, "inet_up");
    offer.interruptible = interruptible;
    offer.details = {{"offer_id", o.is_object() && o.contains("id") ? o["id"] : nlohmann::json()}};
    if (!offer.id.empty()) offers.push_back(offer);
  }
  return offers;
}

nlohmann::json create_body(const std::string& image, int disk_gb, const std::string& label, std::optional<double> bid) {
  return {{"client_id", "me"},
          {"image", image},
          {"disk", disk_gb},
          {"label", label},
          // Exec sessions must not land in tmux.
          {"onstart", "touch ~/.no_auto_tmux"},
          {"runtype", "ssh_direc ssh_proxy"},
          {"env", {{"-p 29500:29500", "1"}}},
          {"price", bid ? nlohmann::json(*bid) : nlohmann::json(nullptr)}};
}

InstanceView parse_instance(const nlohmann::json& answer, const std::string& label) {
  InstanceView view;
  const nlohmann::json* instance = nullptr;
  if (answer.contains("instances") && answer["instances"].is_object()) instance = &answer["instances"];
  if (!instance) {
    view.status = HostStatus::gone;
    view.exists = false;
    view.message = "no such instance";
    return view;
  }
  const auto& i = *instance;
  if (!label.empty() && text(i, "label") != label) {
    view.status = HostStatus::gone;
    view.exists = false;
    view.message = "the id now belongs to another instance";
    return view;
  }
  view.public_ip = text(i, "public_ipaddr");
  const std::string actual = text(i, "actual_status");
  const std::string intended = text(i, "intended_status");
  view.message = actual.empty() ? "provisioning" : actual;
  if (const std::string msg = text(i, "status_msg"); !msg.empty()) view.message += ": " + msg;
  if (actual == "exited" || actual == "offline" || actual == "unknown" || intended == "stopped") {
    view.status = HostStatus::gone;
    return view;
  }
  // Direct SSH (public ip, mapped port 22) when the machine has it, else vast's proxy.
  if (i.contains("ports") && i["ports"].is_object() && i["ports"].contains("22/tcp") && i["ports"]["22/tcp"].is_array() &&
      !i["ports"]["22/tcp"].empty() && !text(i, "public_ipaddr").empty()) {
    view.ssh_host = text(i, "public_ipaddr");
    // "HostPort" is a string of digits in Docker's format.
    view.ssh_port = static_cast<int>(util::parse_uint(text(i["ports"]["22/tcp"][0], "HostPort"), 65535).value_or(0));
  }
  if (const int proxy_port = util::JsonReader(i, "instances").integer("ssh_port", 0);
      view.ssh_port == 0 && !text(i, "ssh_host").empty() && proxy_port > 0) {
    view.ssh_host = text(i, "ssh_host");
    view.ssh_port = proxy_port;
  }
  if (actual == "running" && intended == "running" && view.ssh_port > 0) view.status = HostStatus::ready;
  return view;
}

std::variant<nlohmann::json, ApiError> classify(const HttpResponse& response) {
  const auto body = parse_answer(response.body);
  const bool is_object = body.is_object();
  const std::string code = is_object ? text(body, "error") : "";
  const std::string msg = is_object ? text(body, "msg") : "";
  if (code == "auth_error" || response.status == 401 || response.status == 403) {
    return ApiError{ApiErrorKind::auth, "the API key was refused (" + (msg.empty() ? "HTTP " + std::to_string(response.status) : msg) +
                                            "); check VAST_API_KEY or \"vast\" in the credentials file"};
  }
  if (response.status == 429) return ApiError{ApiErrorKind::rate_limited, "rate limited (HTTP 429)"};
  const std::string what = code.empty() ? "HTTP " + std::to_string(response.status) : code + (msg.empty() ? "" : ": " + msg);
  if (response.status >= 200 && response.status < 300) {
    if (!is_object && !body.is_array()) return ApiError{ApiErrorKind::transient, "unreadable answer"};
    if (is_object && body.contains("success") && body["success"].is_boolean() && !body["success"].get<bool>()) {
      if (code == "no_such_ask" || code.find("unavailable") != std::string::npos) return ApiError{ApiErrorKind::no_capacity, what};
      return ApiError{ApiErrorKind::invalid, what};
    }
    return body;
  }
  if (code == "no_such_ask") return ApiError{ApiErrorKind::no_capacity, "the offer is gone (" + what + ")"};
  return ApiError{classify_status(response.status), what};
}

}  // namespace vast

namespace {

constexpr int k_default_disk_gb = 32;
constexpr const char* k_default_image = "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime";
// A destroy is read back this many times before it counts as failed.
constexpr int k_destroy_checks = 5;

class VastProvider final : public Provider {
 public:
  explicit VastProvider(RestConfig config)
      : m_config(std::move(config)),
        m_api("vast.ai", m_config.http, vast::classify, m_config.retry) {}

  std::string name() const override { return "vast"; }

  Result<std::vector<Offer>> offers(const spec::GpuSpec& shape) override {
    return search(shape, false, k_default_disk_gb);
  }

  Result<Host> create(const HostRequest& request) override {
    if (!vast::gpu_name(request.shape.gpu)) return unknown_gpu(request.shape.gpu);
    if (auto ok = register_key(); !ok) return ok.error();
    const int disk = request.disk_gb > 0 ? request.disk_gb : k_default_disk_gb;
    // One create at a time: two parallel launches must not buy the same offer.
    std::lock_guard lock(m_create_mutex);
    auto found = search(request.shape, request.interruptible, disk);
    if (!found) return found.error();
    RankCriteria criteria;
    criteria.max_price_per_gpu = request.max_price;
    criteria.exclude = request.exclude;
    criteria.exclude.insert(criteria.exclude.end(), m_tried.begin(), m_tried.end());
    criteria.nodes = request.shape.nodes;
    // The run's other nodes: same place, so torch.distributed has a chance to connect them.
    if (auto it = m_run_location.find(request.run_id); it != m_run_location.end()) criteria.prefer_location = it->second;
    auto ranked = rank_offers(*found, criteria);
    if (ranked.empty()) {
      return make_error(ErrorKind::capacity, "vast.ai has no offer for " + request.shape.describe() +
                                                 (request.max_price ? " at or below the --max-price" : "") +
                                                 " on machines this run has not tried yet");
    }
    const Offer& offer = ranked.front();
    m_tried.push_back(offer.id);  // tried once, whatever happens
    const std::string label = instance_label(request.run_id, request.node, request.replacement);
    const std::string image = request.image.empty() ? k_default_image : request.image;
    std::optional<double> bid;
    if (request.interruptible) bid = offer.price_per_hour;
    spdlog::info("node {}: renting vast.ai offer {} (machine {}, {}x {}, ${:.3f}/h, {})", request.node, offer.id,
                 offer.machine, offer.gpus, offer.gpu, effective_price(offer), offer.location);
    auto answer = m_api.call({"PUT", url("/api/v0/asks/" + offer.id + "/"), auth(), vast::create_body(image, disk, label, bid).dump()});
    if (!answer) {
      if (answer.error().kind == ErrorKind::capacity || answer.error().kind == ErrorKind::not_found) {
        return make_error(ErrorKind::capacity, "vast.ai offer " + offer.id + " was refused: " + answer.error().message);
      }
      return answer.error();
    }
    if (!answer->contains("new_contract")) return make_error(ErrorKind::protocol, "vast.ai answered the rent without new_contract");
    Host host;
    host.provider = "vast";
    host.id = (*answer)["new_contract"].dump();
    host.root = m_config.workdir + "/runs/" + request.run_id + "/node" + std::to_string(request.node);
    host.agent_dir = m_config.workdir + "/agent";
    host.gpu = request.shape.gpu;
    host.slots = request.shape.count;
    host.price_per_hour = effective_price(offer);
    host.access = {{"label", label}, {"machine", offer.machine}, {"offer", offer.id}, {"user", ssh_user()}};
    std::lock_guard state_lock(m_mutex);
    m_progress.rented(host);
    if (request.shape.nodes > 1 && !m_run_location.count(request.run_id)) m_run_location[request.run_id] = offer.location;
    return host;
  }

  Result<HostStatus> status(const Host& host) override {
    auto view = read(host);
    if (!view) return view.error();
    if (view->status == HostStatus::ready && !ssh_answers(view->ssh_host, view->ssh_port, 1000)) {
      view->status = HostStatus::provisioning;
      view->message = "running, waiting for sshd";
    }
    m_progress.report(host, view->message, view->status);
    if (view->status == HostStatus::ready) attach_key(host);
    return view->status;
  }

  Host located(const Host& host) override {
    auto view = read(host);
    if (!view || view->ssh_port == 0) return host;
    Host up = host;
    up.address = view->public_ip.empty() ? view->ssh_host : view->public_ip;
    up.access["ssh_host"] = view->ssh_host;
    up.access["ssh_port"] = view->ssh_port;
    return up;
  }

  Result<std::unique_ptr<transport::Transport>> connect(const Host& host) override {
    if (host.access.contains("ssh_host")) return connect_rented(host, m_config.private_key);
    return connect_rented(located(host), m_config.private_key);
  }

  Status release(const Host& host) override {
    m_progress.released(host);
    const std::string label = host.access.value("label", "");
    for (int check = 0; check < k_destroy_checks; ++check) {
      auto answer = m_api.call({"DELETE", url("/api/v0/instances/" + host.id + "/"), auth(), ""});
      if (!answer && answer.error().kind != ErrorKind::not_found) {
        spdlog::warn("vast.ai instance {}: destroy: {}", host.id, answer.error().message);
      }
      // Read back: gone means no instance with this id *and* this label.
      auto view = read(host);
      if (view && !view->exists) return {};
      util::system_clock().sleep_for(std::chrono::milliseconds(300 * (check + 1)));
    }
    return make_error(ErrorKind::remote, "vast.ai instance " + host.id + " (" + label + ") still exists after " +
                                             std::to_string(k_destroy_checks) + " destroy attempts");
  }

  Result<std::vector<Host>> labelled_instances(const std::string& prefix) override {
    std::vector<Host> hosts;
    std::string token;
    for (int page = 0; page < 100; ++page) {
      std::string path = "/api/v1/instances/?limit=25";
      if (!token.empty()) path += "&after_token=" + url_encode(token);
      auto answer = m_api.call({"GET", url(path), auth(), ""});
      if (!answer) return answer.error();
      for (const auto& i : util::JsonReader(*answer, "answer").array("instances")) {
        const std::string label = util::JsonReader(i, "instances[]").string("label");
        if (label.rfind(prefix, 0) != 0) continue;
        Host host;
        host.provider = "vast";
        host.id = vast::text(i, "id");
        if (host.id.empty()) continue;
        host.price_per_hour = vast::number(i, "dph_total");
        host.access = {{"label", label}, {"user", ssh_user()}};
        hosts.push_back(host);
      }
      if (!answer->contains("next_token") || !(*answer)["next_token"].is_string()) break;
      token = (*answer)["next_token"].get<std::string>();
      if (token.empty()) break;
    }
    return hosts;
  }

  bool shares_this_machine() const override { return false; }

 private:
  std::string url(const std::string& path) const { return m_config.base_url + path; }
  std::vector<std::pair<std::string, std::string>> auth() const { return {{"Authorization", "Bearer " + m_config.api_key}}; }
  std::string ssh_user() const { return m_config.ssh_user.empty() ? "root" : m_config.ssh_user; }

  static Error unknown_gpu(const std::string& gpu) {
    return make_error(ErrorKind::usage, "vast.ai does not list " + gpu + " (choline knows it under no vast.ai name)");
  }

  Result<std::vector<Offer>> search(const spec::GpuSpec& shape, bool interruptible, int disk) {
    if (!vast::gpu_name(shape.gpu)) return unknown_gpu(shape.gpu);
    auto answer = m_api.call({"POST", url("/api/v0/bundles/"), auth(), vast::search_body(shape, interruptible, disk).dump()});
    if (!answer) return answer.error();
    return vast::parse_offers(*answer, disk, interruptible);
  }

  Result<vast::InstanceView> read(const Host& host) {
    auto answer = m_api.call({"GET", url("/api/v0/instances/" + host.id + "/"), auth(), ""});
    if (!answer) {
      if (answer.error().kind == ErrorKind::not_found) return vast::parse_instance(nlohmann::json::object(), "");
      return answer.error();
    }
    return vast::parse_instance(*answer, host.access.value("label", ""));
  }

  // Account keys reach only instances created after them: registered once, before any create.
  Status register_key() {
    std::lock_guard lock(m_mutex);
    if (m_key_registered) return {};
    auto keys = m_api.call({"GET", url("/api/v0/ssh/"), auth(), ""});
    if (!keys) return keys.error();
    const auto list = keys->is_array() ? *keys : util::JsonReader(*keys, "answer").array("ssh_keys");
    const std::string mine = m_config.public_key.substr(0, m_config.public_key.rfind(' '));
    for (const auto& key : list) {
      const std::string public_key = vast::text(key, "public_key");
      const std::string text = public_key.empty() ? vast::text(key, "ssh_key") : public_key;
      if (text.rfind(mine, 0) == 0) {
        m_key_registered = true;
        return {};
      }
    }
    auto added = m_api.call({"POST", url("/api/v0/ssh/"), auth(), nlohmann::json{{"ssh_key", m_config.public_key}}.dump()});
    if (!added) return added.error();
    m_key_registered = true;
    return {};
  }

  // Also attached to the instance itself, in case the account key did not reach it.
  void attach_key(const Host& host) {
    {
      std::lock_guard lock(m_mutex);
      if (!m_attached.insert(host.id).second) return;
    }
    auto ok = m_api.call({"POST", url("/api/v0/instances/" + host.id + "/ssh/"), auth(),
                          nlohmann::json{{"ssh_key", m_config.public_key}}.dump()});
    if (!ok) spdlog::debug("vast.ai instance {}: attaching the key: {}", host.id, ok.error().message);
  }

  RestConfig m_config;
  ApiCaller m_api;
  std::mutex m_create_mutex;
  std::mutex m_mutex;
  bool m_key_registered = false;
  std::set<std::string> m_attached;
  std::vector<std::string> m_tried;
  ProvisionProgress m_progress{"vast.ai instance"};
  std::map<std::string, std::string> m_run_location;  // run id -> where its first node was rented
};

}  // namespace

std::unique_ptr<Provider> make_vast_provider(RestConfig config) { return std::make_unique<VastProvider>(std::move(config)); }

}  // namespace choline::providers
