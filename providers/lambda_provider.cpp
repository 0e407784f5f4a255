// Lambda Cloud: fixed instance types ("gpu_8x_h100_sxm5") per region; Lambda picks the machine.
// Errors are {"error":{"code","message"}}; the API allows about one request a second.
#include <choline/providers/registry.hpp>
#include <choline/providers/rest.hpp>

#include <choline/providers/ranking.hpp>
#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <map>
#include <mutex>

namespace choline::providers {

namespace lambda {

namespace {

// choline's GPU names -> the suffix of Lambda's instance type names.
const std::map<std::string, std::string>& gpu_table() {
  static const std::map<std::string, std::string> table = {
      {"A100", "a100"},       {"A100-40GB", "a100"},   {"A100-80GB", "a100_80gb_sxm4"}, {"H100", "h100_sxm5"},
      {"RTXA6000", "a6000"},  {"RTX6000ADA", "rtx6000ada"}, {"A10", "a10"},            {"V100", "v100"},
      {"RTX3090", "rtx3090"}, {"GH200", "gh200"},      {"B200", "b200_sxm6"},
  };
  return table;
}

}  // namespace

std::optional<std::string> instance_type(const std::string& canonical, int count) {
  auto it = gpu_table().find(canonical);
  if (it == gpu_table().end()) return std::nullopt;
  return "gpu_" + std::to_string(count) + "x_" + it->second;
}

std::vector<Offer> parse_offers(const nlohmann::json& answer, const std::string& instance_type) {
  std::vector<Offer> offers;
  const auto data = util::JsonReader(answer, "answer").object("data");
  const auto entry = util::JsonReader(data, "data").object(instance_type.c_str());
  if (entry.empty()) return offers;
  util::JsonReader listing(entry, instance_type);
  const auto type_object = listing.object("instance_type");
  util::JsonReader type(type_object, "instance_type");
  const auto specs_object = type.object("specs");
  util::JsonReader specs(specs_object, "specs");
  for (const auto& region : listing.array("regions_with_capacity_available")) {
    Offer offer;
    offer.provider = "lambda";
    offer.location = util::JsonReader(region, "region").string("name");
    if (offer.location.empty()) continue;  // a region is launched by its name
    offer.id = instance_type + "@" + offer.location;
    offer.gpu = type.string("gpu_description", instance_type);
    offer.gpus = specs.integer("gpus", 1);
    offer.price_per_hour = type.number("price_cents_per_hour", 0) / 100.0;
    offer.details = {{"instance_type", instance_type}, {"region", offer.location}};
    offers.push_back(offer);
  }
  return offers;
}

InstanceView parse_instance(const nlohmann::json& answer) {
  InstanceView view;
  const auto data = util::JsonReader(answer, "answer").object("data");
  if (data.empty()) {
    view.status = HostStatus::gone;
    view.message = "no such instance";
    return view;
  }
  const std::string status = util::JsonReader(data, "data").string("status");
  view.message = status;
  if (status == "unhealthy" || status == "terminating" || status == "terminated" || status == "preempted") {
    view.status = HostStatus::gone;
    return view;
  }
  if (data.contains("ip") && data["ip"].is_string()) view.ip = data["ip"].get<std::string>();
  if (status == "active" && !view.ip.empty()) view.status = HostStatus::ready;
  return view;
}

std::variant<nlohmann::json, ApiError> classify(const HttpResponse& response) {
  const auto body = parse_answer(response.body);
  const auto error_object = util::JsonReader(body, "answer").object("error");
  util::JsonReader error(error_object, "error");
  const std::string code = util::printable(error.string("code"));
  const std::string message =
      code.empty() ? "HTTP " + std::to_string(response.status) : code + ": " + util::printable(error.string("message"));
  if (code == "global/invalid-api-key" || response.status == 401 || response.status == 403) {
    return ApiError{ApiErrorKind::auth,
                    "the API key was refused (" + message + "); check LAMBDA_API_KEY or \"lambda\" in the credentials file"};
  }
  if (response.status == 429) return ApiError{ApiErrorKind::rate_limited, message};
  if (code == "instance-operations/launch/insufficient-capacity" || code == "global/quota-exceeded") {
    return ApiError{ApiErrorKind::no_capacity, message};
  }
  if (code == "global/object-does-not-exist") return ApiError{ApiErrorKind::not_found, message};
  if (response.status >= 200 && response.status < 300) {
    if (!body.is_object()) return ApiError{ApiErrorKind::transient, "unreadable answer"};
    return body;
  }
  return ApiError{classify_status(response.status), message};
}

}  // namespace lambda

namespace {

constexpr int k_destroy_checks = 5;

class LambdaProvider final : public Provider {
 public:
  explicit LambdaProvider(RestConfig config)
      : m_config(std::move(config)), m_api("Lambda", m_config.http, lambda::classify, m_config.retry) {}

  std::string name() const override { return "lambda"; }

  Result<std::vector<Offer>> offers(const spec::GpuSpec& shape) override {
    auto type = lambda::instance_type(shape.gpu, shape.count);
    if (!type) return unknown_gpu(shape.gpu);
    auto answer = call("GET", "/instance-types", "");
    if (!answer) return answer.error();
    return lambda::parse_offers(*answer, *type);
  }

  Result<Host> create(const HostRequest& request) override {
    if (!lambda::instance_type(request.shape.gpu, request.shape.count)) return unknown_gpu(request.shape.gpu);
    if (request.interruptible) return make_error(ErrorKind::unsupported, "Lambda has no interruptible instances");
    auto key_name = register_key();
    if (!key_name) return key_name.error();
    std::lock_guard lock(m_create_mutex);
    auto found = offers(request.shape);
    if (!found) return found.error();
    RankCriteria criteria;
    criteria.max_price_per_gpu = request.max_price;
    criteria.exclude = m_refused;
    criteria.nodes = request.shape.nodes;
    if (auto it = m_run_location.find(request.run_id); it != m_run_location.end()) criteria.prefer_location = it->second;
    auto ranked = rank_offers(*found, criteria);
    if (ranked.empty()) {
      return make_error(ErrorKind::capacity, "Lambda has no region with capacity for " + request.shape.describe() +
                                                 (request.max_price ? " at or below the --max-price" : ""));
    }
    const Offer& offer = ranked.front();
    const std::string label = instance_label(request.run_id, request.node, request.replacement);
    spdlog::info("node {}: launching Lambda {} in {} (${:.2f}/h)", request.node, offer.details.value("instance_type", ""),
                 offer.location, offer.price_per_hour);
    nlohmann::json body = {{"region_name", offer.location},
                           {"instance_type_name", offer.details.value("instance_type", "")},
                           {"ssh_key_names", {*key_name}},
                           {"name", label}};
    auto answer = call("POST", "/instance-operations/launch", body.dump());
    if (!answer) {
      if (answer.error().kind == ErrorKind::capacity) m_refused.push_back(offer.id);
      return answer.error();
    }
    const auto launched = util::JsonReader(*answer, "answer").object("data");
    const auto ids = util::JsonReader(launched, "data").array("instance_ids");
    if (ids.empty() || !ids[0].is_string() || ids[0].get<std::string>().empty()) {
      return make_error(ErrorKind::protocol, "Lambda answered the launch without an instance id");
    }
    Host host;
    host.provider = "lambda";
    host.id = ids[0].get<std::string>();
    host.root = m_config.workdir + "/runs/" + request.run_id + "/node" + std::to_string(request.node);
    host.agent_dir = m_config.workdir + "/agent";
    host.gpu = request.shape.gpu;
    host.slots = request.shape.count;
    host.price_per_hour = offer.price_per_hour;
    host.access = {{"label", label}, {"region", offer.location}, {"user", ssh_user()}};
    std::lock_guard state_lock(m_mutex);
    m_progress.rented(host);
    if (request.shape.nodes > 1 && !m_run_location.count(request.run_id)) m_run_location[request.run_id] = offer.location;
    return host;
  }

  Result<HostStatus> status(const Host& host) override {
    auto view = read(host);
    if (!view) return view.error();
    if (view->status == HostStatus::ready && !ssh_answers(view->ip, 22, 1000)) {
      view->status = HostStatus::provisioning;
      view->message += ", waiting for sshd";
    }
    m_progress.report(host, view->message, view->status);
    return view->status;
  }

  Host located(const Host& host) override {
    auto view = read(host);
    if (!view || view->ip.empty()) return host;
    Host up = host;
    up.address = view->ip;
    up.access["ssh_host"] = view->ip;
    up.access["ssh_port"] = 22;
    return up;
  }

  Result<std::unique_ptr<transport::Transport>> connect(const Host& host) override {
    if (host.access.contains("ssh_host")) return connect_rented(host, m_config.private_key);
    return connect_rented(located(host), m_config.private_key);
  }

  Status release(const Host& host) override {
    m_progress.released(host);
    for (int check = 0; check < k_destroy_checks; ++check) {
      auto done = call("POST", "/instance-operations/terminate", nlohmann::json{{"instance_ids", {host.id}}}.dump());
      if (!done && done.error().kind != ErrorKind::not_found) spdlog::warn("Lambda instance {}: terminate: {}", host.id, done.error().message);
      auto view = read(host);
      if (view && view->status == HostStatus::gone && (view->message == "no such instance" || view->message == "terminated")) {
        return {};
      }
      util::system_clock().sleep_for(std::chrono::milliseconds(300 * (check + 1)));
    }
    return make_error(ErrorKind::remote, "Lambda instance " + host.id + " still exists after " +
                                             std::to_string(k_destroy_checks) + " terminate attempts");
  }

  Result<std::vector<Host>> labelled_instances(const std::string& prefix) override {
    auto answer = call("GET", "/instances", "");
    if (!answer) return answer.error();
    std::vector<Host> hosts;
    for (const auto& i : util::JsonReader(*answer, "answer").array("data")) {
      util::JsonReader listed(i, "data[]");
      const std::string name = listed.string("name");
      if (name.rfind(prefix, 0) != 0 || listed.string("status") == "terminated") continue;
      Host host;
      host.provider = "lambda";
      host.id = listed.string("id");
      if (host.id.empty()) continue;
      host.access = {{"label", name}, {"user", ssh_user()}};
      hosts.push_back(host);
    }
    return hosts;
  }

  bool shares_this_machine() const override { return false; }

 private:
  std::string ssh_user() const { return m_config.ssh_user.empty() ? "ubuntu" : m_config.ssh_user; }

  static Error unknown_gpu(const std::string& gpu) {
    return make_error(ErrorKind::usage, "Lambda does not rent " + gpu + " (choline knows no Lambda instance type for it)");
  }

  Result<nlohmann::json> call(const std::string& method, const std::string& path, const std::string& body) {
    return m_api.call({method, m_config.base_url + path, {{"Authorization", "Bearer " + m_config.api_key}}, body});
  }

  Result<lambda::InstanceView> read(const Host& host) {
    auto answer = call("GET", "/instances/" + host.id, "");
    if (!answer) {
      if (answer.error().kind == ErrorKind::not_found) return lambda::parse_instance(nlohmann::json::object());
      return answer.error();
    }
    auto view = lambda::parse_instance(*answer);
    const auto data = util::JsonReader(*answer, "answer").object("data");
    if (!data.empty() && host.access.contains("label") &&
        util::JsonReader(data, "data").string("name") != util::JsonReader(host.access, "access").string("label")) {
      view.status = HostStatus::gone;
      view.message = "no such instance";
    }
    return view;
  }

  // Lambda attaches keys by name at launch: choline's key under a name derived from it.
  Result<std::string> register_key() {
    std::lock_guard lock(m_mutex);
    if (!m_key_name.empty()) return m_key_name;
    const std::string body_of_key = m_config.public_key.substr(0, m_config.public_key.rfind(' '));
    const std::string name = "choline-" + std::to_string(std::hash<std::string>{}(body_of_key) % 1000000007);
    auto keys = call("GET", "/ssh-keys", "");
    if (!keys) return keys.error();
    for (const auto& key : util::JsonReader(*keys, "answer").array("data")) {
      if (util::JsonReader(key, "data[]").string("name") == name) {
        m_key_name = name;
        return m_key_name;
      }
    }
    auto added = call("POST", "/ssh-keys", nlohmann::json{{"name", name}, {"public_key", m_config.public_key}}.dump());
    if (!added) return added.error();
    m_key_name = name;
    return m_key_name;
  }

  RestConfig m_config;
  ApiCaller m_api;
  std::mutex m_create_mutex;
  std::mutex m_mutex;
  std::string m_key_name;
  std::vector<std::string> m_refused;
  ProvisionProgress m_progress{"Lambda instance"};
  std::map<std::string, std::string> m_run_location;  // run id -> the region of its first node
};

}  // namespace

std::unique_ptr<Provider> make_lambda_provider(RestConfig config) { return std::make_unique<LambdaProvider>(std::move(config)); }

}  // namespace choline::providers
