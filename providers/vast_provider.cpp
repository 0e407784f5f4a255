// vast.ai: a marketplace of strangers' machines. Offers come from a search, an instance is a
// container on one of them, reached by SSH on a mapped port. Instance ids are reused: a destroy
// is verified by reading the instance back by id *and* label.
#include <choline/providers/rest_provider.hpp>

#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

namespace choline::providers {

namespace vast {

namespace {

// choline's GPU names -> vast's gpu_name.
const std::map<std::string, std::string>& gpu_table() {
  // clang-format off
  static const std::map<std::string, std::string> table = {
      {"RTX3060", "RTX 3060"},       {"RTX3070", "RTX 3070"},     {"RTX3080", "RTX 3080"},
      {"RTX3090", "RTX 3090"},       {"RTX3090TI", "RTX 3090 Ti"}, {"RTX4070", "RTX 4070"},
      {"RTX4080", "RTX 4080"},       {"RTX4090", "RTX 4090"},     {"RTX5090", "RTX 5090"},
      {"RTXA4000", "RTX A4000"},     {"RTXA5000", "RTX A5000"},   {"RTXA6000", "RTX A6000"},
      {"RTX6000ADA", "RTX 6000Ada"}, {"A100", "A100 SXM4"},       {"A100-40GB", "A100 PCIE"},
      {"A100-80GB", "A100 SXM4"},    {"H100", "H100 SXM"},        {"H100-NVL", "H100 NVL"},
      {"V100", "Tesla V100"},        {"L40S", "L40S"},            {"A40", "A40"},
  };
  // clang-format on
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
  if (!answer.contains("instances") || !answer["instances"].is_object()) {
    view.status = HostStatus::gone;
    view.exists = false;
    view.message = "no such instance";
    return view;
  }
  const auto& i = answer["instances"];
  view.label = text(i, "label");
  view.machine = text(i, "machine_id");
  view.address = text(i, "public_ipaddr");
  const std::string actual = text(i, "actual_status");
  const std::string intended = text(i, "intended_status");
  view.message = actual.empty() ? "provisioning" : actual;
  if (const std::string msg = text(i, "status_msg"); !msg.empty()) view.message += ": " + msg;
  if (actual == "exited" || actual == "offline" || actual == "unknown" || intended == "stopped") {
    view.status = HostStatus::gone;
  } else {
    // Direct SSH (public ip, mapped port 22) when the machine has it, else vast's proxy.
    if (i.contains("ports") && i["ports"].is_object() && i["ports"].contains("22/tcp") &&
        i["ports"]["22/tcp"].is_array() && !i["ports"]["22/tcp"].empty() && !view.address.empty()) {
      view.ssh_host = view.address;
      // "HostPort" is a string of digits in Docker's format.
      view.ssh_port = static_cast<int>(util::parse_uint(text(i["ports"]["22/tcp"][0], "HostPort"), 65535).value_or(0));
    }
    if (const int proxy_port = util::JsonReader(i, "instances").integer("ssh_port", 0);
        view.ssh_port == 0 && !text(i, "ssh_host").empty() && proxy_port > 0) {
      view.ssh_host = text(i, "ssh_host");
      view.ssh_port = proxy_port;
    }
    if (actual == "running" && intended == "running" && view.ssh_port > 0) view.status = HostStatus::ready;
  }
  require_label(view, label);
  return view;
}

std::variant<nlohmann::json, ApiError> classify(const HttpResponse& response) {
  const auto body = parse_answer(response.body);
  const bool is_object = body.is_object();
  const std::string code = is_object ? text(body, "error") : "";
  const std::string msg = is_object ? text(body, "msg") : "";
  if (code == "auth_error" || response.status == 401 || response.status == 403) {
    return ApiError{ApiErrorKind::auth, "the API key was refused (" +
                                            (msg.empty() ? "HTTP " + std::to_string(response.status) : msg) +
                                            "); check VAST_API_KEY or \"vast\" in the credentials file"};
  }
  if (response.status == 429) return ApiError{ApiErrorKind::rate_limited, "rate limited (HTTP 429)"};
  const std::string what =
      code.empty() ? "HTTP " + std::to_string(response.status) : code + (msg.empty() ? "" : ": " + msg);
  if (response.status >= 200 && response.status < 300) {
    if (!is_object && !body.is_array()) return ApiError{ApiErrorKind::transient, "unreadable answer"};
    if (is_object && body.contains("success") && body["success"].is_boolean() && !body["success"].get<bool>()) {
      if (code == "no_such_ask" || code.find("unavailable") != std::string::npos)
        return ApiError{ApiErrorKind::no_capacity, what};
      return ApiError{ApiErrorKind::invalid, what};
    }
    return body;
  }
  if (code == "no_such_ask") return ApiError{ApiErrorKind::no_capacity, "the offer is gone (" + what + ")"};
  return ApiError{classify_status(response.status), what};
}

}  // namespace vast

namespace {

constexpr const char* k_vast_default_image = "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime";
// vast.ai lists at most 25 instances a page; this many pages (2,500 instances) at the most.
constexpr int k_max_list_pages = 100;

class VastProvider final : public RestProvider {
 public:
  explicit VastProvider(RestConfig config)
      : RestProvider(std::move(config), {"vast", "vast.ai", "instance", "root", {}}, vast::classify) {}

  Status can_serve(const spec::GpuSpec& shape) const override {
    if (!vast::gpu_name(shape.gpu)) return unknown_gpu("vast.ai", shape.gpu, vast::gpu_table());
    return {};
  }

 protected:
  Result<std::vector<Offer>> search(const spec::GpuSpec& shape, bool interruptible, int disk) override {
    auto answer = call("POST", "/api/v0/bundles/", vast::search_body(shape, interruptible, disk).dump());
    if (!answer) return answer.error();
    return vast::parse_offers(*answer, disk, interruptible);
  }

  // Account keys reach only instances created after them: registered once, before any create.
  Status prepare(const HostRequest&) override {
    std::lock_guard lock(m_mutex);
    if (m_key_registered) return {};
    auto keys = call("GET", "/api/v0/ssh/");
    if (!keys) return keys.error();
    const auto list = keys->is_array() ? *keys : util::JsonReader(*keys, "answer").array("ssh_keys");
    const std::string mine = config().public_key.substr(0, config().public_key.rfind(' '));
    for (const auto& key : list) {
      const std::string public_key = vast::text(key, "public_key");
      const std::string text = public_key.empty() ? vast::text(key, "ssh_key") : public_key;
      if (text.rfind(mine, 0) == 0) {
        m_key_registered = true;
        return {};
      }
    }
    auto added = call("POST", "/api/v0/ssh/", nlohmann::json{{"ssh_key", config().public_key}}.dump());
    if (!added) return added.error();
    m_key_registered = true;
    return {};
  }

  Result<Rented> rent(const Offer& offer, const HostRequest& request, const std::string& label) override {
    const std::string image = request.image.empty() ? k_vast_default_image : request.image;
    std::optional<double> bid;
    if (request.interruptible) bid = offer.price_per_hour;
    auto answer =
        call("PUT", "/api/v0/asks/" + offer.id + "/", vast::create_body(image, disk_of(request), label, bid).dump());
    if (!answer) {
      if (answer.error().kind == ErrorKind::capacity || answer.error().kind == ErrorKind::not_found) {
        return make_error(ErrorKind::capacity, "vast.ai offer " + offer.id + " was refused: " + answer.error().message);
      }
      return answer.error();
    }
    if (!answer->contains("new_contract"))
      return make_error(ErrorKind::protocol, "vast.ai answered the rent without new_contract");
    return Rented{(*answer)["new_contract"].dump(), "", {{"offer", offer.id}}};
  }

  Result<InstanceView> fetch(const Host& host) override {
    auto answer = call("GET", "/api/v0/instances/" + host.id + "/");
    if (!answer) return answer.error();
    return vast::parse_instance(*answer, "");
  }

  Status destroy(const Host& host) override {
    auto answer = call("DELETE", "/api/v0/instances/" + host.id + "/");
    if (!answer) return answer.error();
    return {};
  }

  Result<std::vector<ListedInstance>> list() override {
    std::vector<ListedInstance> instances;
    std::string token;
    for (int page = 0; page < k_max_list_pages; ++page) {
      std::string path = "/api/v1/instances/?limit=25";
      if (!token.empty()) path += "&after_token=" + url_encode(token);
      auto answer = call("GET", path);
      if (!answer) return answer.error();
      for (const auto& i : util::JsonReader(*answer, "answer").array("instances")) {
        instances.push_back(
            {vast::text(i, "id"), util::JsonReader(i, "instances[]").string("label"), vast::number(i, "dph_total")});
      }
      token = util::JsonReader(*answer, "answer").string("next_token");
      if (token.empty()) break;
    }
    return instances;
  }

  // Also attached to the instance itself, in case the account key did not reach it.
  void on_ready(const Host& host) override {
    {
      std::lock_guard lock(m_mutex);
      if (!m_attached.insert(host.id).second) return;
    }
    auto ok =
        call("POST", "/api/v0/instances/" + host.id + "/ssh/", nlohmann::json{{"ssh_key", config().public_key}}.dump());
    if (!ok) spdlog::debug("vast.ai instance {}: attaching the key: {}", host.id, ok.error().message);
  }

 private:
  std::mutex m_mutex;
  bool m_key_registered = false;
  std::set<std::string> m_attached;
};

}  // namespace

std::unique_ptr<Provider> make_vast_provider(RestConfig config) {
  return std::make_unique<VastProvider>(std::move(config));
}

}  // namespace choline::providers
