// Lambda Cloud: fixed instance types ("gpu_8x_h100_sxm5") per region; Lambda picks the machine.
// Errors are {"error":{"code","message"}}; the API allows about one request a second.
#include <choline/providers/rest_provider.hpp>

#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <map>
#include <mutex>

namespace choline::providers {

namespace lambda {

namespace {

// choline's GPU names -> the suffix of Lambda's instance type names.
const std::map<std::string, std::string>& gpu_table() {
  // clang-format off
  static const std::map<std::string, std::string> table = {
      {"A100", "a100"},       {"A100-40GB", "a100"},   {"A100-80GB", "a100_80gb_sxm4"}, {"H100", "h100_sxm5"},
      {"RTXA6000", "a6000"},  {"RTX6000ADA", "rtx6000ada"}, {"A10", "a10"},            {"V100", "v100"},
      {"RTX3090", "rtx3090"}, {"GH200", "gh200"},      {"B200", "b200_sxm6"},
  };
  // clang-format on
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
    view.exists = false;
    view.message = "no such instance";
    return view;
  }
  util::JsonReader fields(data, "data");
  view.label = fields.string("name");
  const std::string status = fields.string("status");
  view.message = status;
  if (status == "unhealthy" || status == "terminating" || status == "terminated" || status == "preempted") {
    view.status = HostStatus::gone;
    view.exists = status != "terminated";
    return view;
  }
  view.ssh_host = fields.string("ip");  // null while booting
  if (!view.ssh_host.empty()) view.ssh_port = 22;
  if (status == "active" && !view.ssh_host.empty()) view.status = HostStatus::ready;
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
    return ApiError{ApiErrorKind::auth, "the API key was refused (" + message +
                                            "); check LAMBDA_API_KEY or \"lambda\" in the credentials file"};
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

// Lambda picks the machine within a region and does not say which: exclusions cannot be
// honoured, and a host cannot be told apart from one on an excluded machine.
class LambdaProvider final : public RestProvider {
 public:
  explicit LambdaProvider(RestConfig config)
      : RestProvider(std::move(config),
                     {"lambda", "Lambda", "instance", "ubuntu", {.chooses_machine = false, .reports_machine = false}},
                     lambda::classify) {}

  Status can_serve(const spec::GpuSpec& shape) const override {
    if (!lambda::instance_type(shape.gpu, shape.count)) return unknown_gpu("Lambda", shape.gpu, lambda::gpu_table());
    return {};
  }

 protected:
  Result<std::vector<Offer>> search(const spec::GpuSpec& shape, bool, int) override {
    auto answer = call("GET", "/instance-types");
    if (!answer) return answer.error();
    return lambda::parse_offers(*answer, *lambda::instance_type(shape.gpu, shape.count));
  }

  // Lambda attaches keys by name at launch: choline's key under a name derived from it.
  Status prepare(const HostRequest& request) override {
    if (request.interruptible) return make_error(ErrorKind::unsupported, "Lambda has no interruptible instances");
    std::lock_guard lock(m_mutex);
    if (!m_key_name.empty()) return {};
    const std::string body_of_key = config().public_key.substr(0, config().public_key.rfind(' '));
    const std::string name = "choline-" + std::to_string(std::hash<std::string>{}(body_of_key) % 1000000007);
    auto keys = call("GET", "/ssh-keys");
    if (!keys) return keys.error();
    for (const auto& key : util::JsonReader(*keys, "answer").array("data")) {
      if (util::JsonReader(key, "data[]").string("name") == name) {
        m_key_name = name;
        return {};
      }
    }
    auto added = call("POST", "/ssh-keys", nlohmann::json{{"name", name}, {"public_key", config().public_key}}.dump());
    if (!added) return added.error();
    m_key_name = name;
    return {};
  }

  Result<Rented> rent(const Offer& offer, const HostRequest&, const std::string& label) override {
    std::string key_name;
    {
      std::lock_guard lock(m_mutex);
      key_name = m_key_name;
    }
    nlohmann::json body = {{"region_name", offer.location},
                           {"instance_type_name", offer.details.value("instance_type", "")},
                           {"ssh_key_names", {key_name}},
                           {"name", label}};
    auto answer = call("POST", "/instance-operations/launch", body.dump());
    if (!answer) return answer.error();
    const auto launched = util::JsonReader(*answer, "answer").object("data");
    const auto ids = util::JsonReader(launched, "data").array("instance_ids");
    if (ids.empty() || !ids[0].is_string() || ids[0].get<std::string>().empty()) {
      return make_error(ErrorKind::protocol, "Lambda answered the launch without an instance id");
    }
    return Rented{ids[0].get<std::string>(), "", {{"region", offer.location}}};
  }

  Result<InstanceView> fetch(const Host& host) override {
    auto answer = call("GET", "/instances/" + host.id);
    if (!answer) return answer.error();
    return lambda::parse_instance(*answer);
  }

  Status destroy(const Host& host) override {
    auto done = call("POST", "/instance-operations/terminate", nlohmann::json{{"instance_ids", {host.id}}}.dump());
    if (!done) return done.error();
    return {};
  }

  Result<std::vector<ListedInstance>> list() override {
    auto answer = call("GET", "/instances");
    if (!answer) return answer.error();
    std::vector<ListedInstance> instances;
    for (const auto& i : util::JsonReader(*answer, "answer").array("data")) {
      util::JsonReader listed(i, "data[]");
      if (listed.string("status") == "terminated") continue;
      instances.push_back({listed.string("id"), listed.string("name")});
    }
    return instances;
  }

 private:
  std::mutex m_mutex;
  std::string m_key_name;
};

}  // namespace

std::unique_ptr<Provider> make_lambda_provider(RestConfig config) {
  return std::make_unique<LambdaProvider>(std::move(config));
}

}  // namespace choline::providers
