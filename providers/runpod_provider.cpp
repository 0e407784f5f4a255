// RunPod over its GraphQL API: RunPod picks the machine for a GPU type (no offer ids), errors
// arrive inside HTTP 200, and the SSH port mapping may lag behind RUNNING.
#include <choline/providers/rest_provider.hpp>

#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <map>

namespace choline::providers {

namespace runpod {

namespace {

const std::map<std::string, std::string>& gpu_table() {
  // clang-format off
  static const std::map<std::string, std::string> table = {
      {"RTX3070", "NVIDIA GeForce RTX 3070"},   {"RTX3080", "NVIDIA GeForce RTX 3080"},
      {"RTX3090", "NVIDIA GeForce RTX 3090"},   {"RTX3090TI", "NVIDIA GeForce RTX 3090 Ti"},
      {"RTX4080", "NVIDIA GeForce RTX 4080"},   {"RTX4090", "NVIDIA GeForce RTX 4090"},
      {"RTX5090", "NVIDIA GeForce RTX 5090"},   {"RTXA4000", "NVIDIA RTX A4000"},
      {"RTXA5000", "NVIDIA RTX A5000"},         {"RTXA6000", "NVIDIA RTX A6000"},
      {"RTX6000ADA", "NVIDIA RTX 6000 Ada Generation"},
      {"A100", "NVIDIA A100 80GB PCIe"},         {"A100-80GB", "NVIDIA A100-SXM4-80GB"},
      {"H100", "NVIDIA H100 80GB HBM3"},        {"H100-NVL", "NVIDIA H100 NVL"},
      {"L40S", "NVIDIA L40S"},                  {"A40", "NVIDIA A40"},
  };
  // clang-format on
  return table;
}

// GraphQL string literal.
std::string quoted(const std::string& value) {
  return nlohmann::json(value).dump();
}

}  // namespace

std::optional<std::string> gpu_type_id(const std::string& canonical) {
  auto it = gpu_table().find(canonical);
  if (it == gpu_table().end()) return std::nullopt;
  return it->second;
}

nlohmann::json gpu_types_query(int gpu_count) {
  return {{"query",
           "query GpuTypes { gpuTypes { id displayName memoryInGb securePrice communityPrice "
           "lowestPrice(input: {gpuCount: " +
               std::to_string(gpu_count) + "}) { minimumBidPrice uninterruptablePrice } } }"}};
}

nlohmann::json deploy_mutation(const std::string& gpu_type_id, int gpu_count, const std::string& image, int disk_gb,
                               const std::string& label, const std::string& public_key, std::optional<double> bid) {
  std::string input = "name: " + quoted(label) + ", imageName: " + quoted(image) +
                      ", cloudType: ALL, gpuTypeId: " + quoted(gpu_type_id) +
                      ", gpuCount: " + std::to_string(gpu_count) + ", containerDiskInGb: " + std::to_string(disk_gb) +
                      ", volumeInGb: 0, minVcpuCount: 2, minMemoryInGb: 8, supportPublicIp: true, startSsh: true, "
                      "ports: \"22/tcp\", env: [{key: \"PUBLIC_KEY\", value: " +
                      quoted(public_key) + "}]";
  if (bid) {
    char price[32];
    std::snprintf(price, sizeof price, "%.4f", *bid);
    return {{"query",
             "mutation { podRentInterruptable(input: {" + input + ", bidPerGpu: " + price + "}) { id machineId } }"}};
  }
  return {{"query", "mutation { podFindAndDeployOnDemand(input: {" + input + "}) { id machineId } }"}};
}

nlohmann::json pod_query(const std::string& pod_id) {
  return {{"query", "query Pod { pod(input: {podId: " + quoted(pod_id) +
                        "}) { id name desiredStatus costPerHr gpuCount machineId runtime { uptimeInSeconds "
                        "ports { ip isIpPublic privatePort publicPort type } } } }"}};
}

std::vector<Offer> parse_offers(const nlohmann::json& data, const std::string& gpu_type_id, int gpu_count) {
  std::vector<Offer> offers;
  for (const auto& type : util::JsonReader(data, "data").array("gpuTypes")) {
    util::JsonReader entry(type, "gpuTypes[]");
    if (entry.string("id") != gpu_type_id) continue;
    const auto lowest = entry.object("lowestPrice");
    const double price = util::JsonReader(lowest, "lowestPrice").number("uninterruptablePrice", -1);
    if (price < 0) continue;  // none available at this count
    Offer offer;
    offer.provider = "runpod";
    offer.id = gpu_type_id;
    offer.gpu = entry.string("displayName", gpu_type_id);
    offer.gpus = gpu_count;
    offer.price_per_hour = price * gpu_count;
    offer.location = "RunPod (any datacenter)";
    offer.reliability = 1;  // RunPod does not publish per-machine figures
    offer.details = {{"gpu_type_id", gpu_type_id}};
    if (lowest.contains("minimumBidPrice") && lowest["minimumBidPrice"].is_number()) {
      offer.details["min_bid_per_gpu"] = lowest["minimumBidPrice"];
    }
    offers.push_back(offer);
  }
  return offers;
}

InstanceView parse_pod(const nlohmann::json& data) {
  InstanceView view;
  const auto pod = util::JsonReader(data, "data").object("pod");
  if (pod.empty()) {  // null: RunPod knows no pod of that id
    view.status = HostStatus::gone;
    view.exists = false;
    view.message = "no such pod";
    return view;
  }
  util::JsonReader fields(pod, "pod");
  view.label = fields.string("name");
  view.machine = fields.string("machineId");
  const std::string desired = fields.string("desiredStatus");
  view.message = desired.empty() ? "CREATED" : desired;
  if (desired == "EXITED" || desired == "TERMINATED" || desired == "DEAD") {
    view.status = HostStatus::gone;
    view.exists = desired != "TERMINATED";  // an exited pod is still billed until terminated
    return view;
  }
  const auto runtime = fields.object("runtime");
  if (runtime.empty()) {  // null until the container runs
    view.message += ", container starting";
    return view;
  }
  for (const auto& port : util::JsonReader(runtime, "runtime").array("ports")) {
    util::JsonReader mapping(port, "ports[]");
    if (mapping.integer("privatePort", 0) == 22 && mapping.boolean("isIpPublic", false) &&
        mapping.string("type") == "tcp") {
      view.ssh_host = mapping.string("ip");
      view.ssh_port = mapping.integer("publicPort", 0);
    }
  }
  if (view.ssh_port == 0) {
    view.message += ", waiting for the SSH port";  // ports lag behind RUNNING
    return view;
  }
  if (desired == "RUNNING") view.status = HostStatus::ready;
  return view;
}

std::variant<nlohmann::json, ApiError> classify(const HttpResponse& response) {
  if (response.status == 401 || response.status == 403) {
    return ApiError{ApiErrorKind::auth, "the API key was refused (HTTP " + std::to_string(response.status) +
                                            "); check RUNPOD_API_KEY or \"runpod\" in the credentials file"};
  }
  if (response.status == 429) return ApiError{ApiErrorKind::rate_limited, "rate limited (HTTP 429)"};
  const auto body = parse_answer(response.body);
  if (response.status < 200 || response.status >= 300) {
    return ApiError{classify_status(response.status), "HTTP " + std::to_string(response.status)};
  }
  if (!body.is_object()) return ApiError{ApiErrorKind::transient, "unreadable answer"};
  if (const auto errors = util::JsonReader(body, "answer").array("errors"); !errors.empty()) {
    const std::string message =
        util::printable(util::JsonReader(errors[0], "errors[0]").string("message", "unknown error"));
    std::string lower;
    for (char c : message) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ApiErrorKind kind = ApiErrorKind::invalid;
    if (lower.find("no longer any instances available") != std::string::npos ||
        lower.find("not enough") != std::string::npos) {
      kind = ApiErrorKind::no_capacity;
    } else if (lower.find("unauthorized") != std::string::npos || lower.find("api key") != std::string::npos) {
      return ApiError{ApiErrorKind::auth, "the API key was refused (" + message +
                                              "); check RUNPOD_API_KEY or \"runpod\" in the credentials file"};
    } else if (lower.find("not found") != std::string::npos) {
      kind = ApiErrorKind::not_found;
    } else if (lower.find("rate") != std::string::npos && lower.find("limit") != std::string::npos) {
      kind = ApiErrorKind::rate_limited;
    } else if (lower.find("internal") != std::string::npos) {
      kind = ApiErrorKind::transient;
    }
    return ApiError{kind, message};
  }
  return util::JsonReader(body, "answer").object("data");
}

}  // namespace runpod

namespace {

constexpr const char* k_runpod_default_image = "runpod/pytorch:2.4.0-py3.11-cuda12.4.1-devel-ubuntu22.04";

// RunPod picks the machine for a GPU type itself: it cannot keep off excluded machines, but it
// says which machine a pod landed on.
class RunPodProvider final : public RestProvider {
 public:
  explicit RunPodProvider(RestConfig config)
      : RestProvider(std::move(config),
                     {"runpod", "RunPod", "pod", "root", {.chooses_machine = false, .reports_machine = true}},
                     runpod::classify) {}

  Status can_serve(const spec::GpuSpec& shape) const override {
    if (!runpod::gpu_type_id(shape.gpu)) return unknown_gpu("RunPod", shape.gpu, runpod::gpu_table());
    return {};
  }

 protected:
  Result<std::vector<Offer>> search(const spec::GpuSpec& shape, bool, int) override {
    auto data = graphql(runpod::gpu_types_query(shape.count));
    if (!data) return data.error();
    return runpod::parse_offers(*data, *runpod::gpu_type_id(shape.gpu), shape.count);
  }

  Result<Rented> rent(const Offer& offer, const HostRequest& request, const std::string& label) override {
    std::optional<double> bid;
    if (request.interruptible) bid = offer.details.value("min_bid_per_gpu", offer.price_per_hour / request.shape.count);
    auto data = graphql(runpod::deploy_mutation(offer.id, request.shape.count,
                                                request.image.empty() ? k_runpod_default_image : request.image,
                                                disk_of(request), label, config().public_key, bid));
    if (!data) return data.error();
    const auto pod = util::JsonReader(*data, "data").object(bid ? "podRentInterruptable" : "podFindAndDeployOnDemand");
    util::JsonReader deployed(pod, "pod");
    const std::string pod_id = deployed.string("id");
    if (pod_id.empty()) return make_error(ErrorKind::protocol, "RunPod answered the deploy without a pod id");
    return Rented{pod_id, deployed.string("machineId")};
  }

  Result<InstanceView> fetch(const Host& host) override {
    auto data = graphql(runpod::pod_query(host.id));
    if (!data) return data.error();
    return runpod::parse_pod(*data);
  }

  Status destroy(const Host& host) override {
    auto done =
        graphql({{"query", "mutation { podTerminate(input: {podId: " + nlohmann::json(host.id).dump() + "}) }"}});
    if (!done) return done.error();
    return {};
  }

  Result<std::vector<ListedInstance>> list() override {
    auto data = graphql({{"query", "query Pods { myself { pods { id name desiredStatus costPerHr } } }"}});
    if (!data) return data.error();
    std::vector<ListedInstance> pods;
    const auto myself = util::JsonReader(*data, "data").object("myself");
    for (const auto& pod : util::JsonReader(myself, "myself").array("pods")) {
      util::JsonReader listed(pod, "pods[]");
      if (listed.string("desiredStatus") == "TERMINATED") continue;
      pods.push_back({listed.string("id"), listed.string("name"), listed.number("costPerHr", 0.0)});
    }
    return pods;
  }

 private:
  Result<nlohmann::json> graphql(const nlohmann::json& body) { return call("POST", "", body.dump()); }
};

}  // namespace

std::unique_ptr<Provider> make_runpod_provider(RestConfig config) {
  return std::make_unique<RunPodProvider>(std::move(config));
}

}  // namespace choline::providers
