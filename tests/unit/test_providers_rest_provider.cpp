// The three REST clients end to end against small in-memory marketplaces (shaped like
// docs/provider-apis.md): which offer a create rents (exclusions, offers already tried), what the
// host records (the machine), what each provider can promise, verified destroys and listings.
#include <choline/providers/rest_provider.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <set>

using namespace choline;
using namespace choline::providers;
using nlohmann::json;

namespace {

const std::string k_base = "http://api.test";

// An HttpClient answering from a marketplace's handler.
class FakeApi final : public HttpClient {
 public:
  explicit FakeApi(
      std::function<HttpResponse(const std::string& method, const std::string& path, const json& body)> handle)
      : m_handle(std::move(handle)) {}
  Result<HttpResponse> send(const HttpRequest& request) override {
    std::lock_guard lock(m_mutex);
    REQUIRE(request.url.rfind(k_base, 0) == 0);
    const json body = request.body.empty() ? json() : json::parse(request.body);
    return m_handle(request.method, request.url.substr(k_base.size()), body);
  }

 private:
  std::function<HttpResponse(const std::string&, const std::string&, const json&)> m_handle;
  std::mutex m_mutex;
};

// Waiting costs nothing: release()'s read-backs run instantly.
class InstantClock final : public util::Clock {
 public:
  TimePoint now() override { return m_now; }
  void sleep_for(Duration duration) override { m_now += duration; }

 private:
  TimePoint m_now{};
};

RestConfig config_for(std::shared_ptr<HttpClient> http) {
  static InstantClock clock;
  RestConfig config;
  config.api_key = "key";
  config.base_url = k_base;
  config.http = std::move(http);
  config.public_key = "ssh-ed25519 AAAA choline";
  config.clock = &clock;
  return config;
}

HostRequest request_for(std::string run, int node = 0, std::vector<std::string> exclude = {}) {
  HostRequest request;
  request.run_id = std::move(run);
  request.node = node;
  request.shape = {"RTX3090", 2, 1};
  request.exclude = std::move(exclude);
  return request;
}

HttpResponse answer(const json& body, long status = 200) {
  return {status, body.dump()};
}

// ---- vast.ai: offers are machines --------------------------------------------------------------

struct VastMarket {
  std::vector<json> offers = {offer(1001, 501, 0.40), offer(1002, 502, 0.44), offer(1003, 503, 0.48)};
  std::set<std::string> refuse;     // offer ids whose rent answers no_such_ask
  std::vector<std::string> rented;  // offer ids, in the order they were rented
  std::map<std::string, json> instances;
  bool ignore_destroys = false;
  int next_id = 7000;

  static json offer(int id, int machine, double price) {
    return {{"id", id},          {"machine_id", machine}, {"gpu_name", "RTX 3090"},
            {"num_gpus", 2},     {"dph_base", price},     {"dph_total", price},
            {"storage_cost", 0}, {"reliability2", 0.99},  {"geolocation", "Ohio, US"}};
  }

  HttpResponse handle(const std::string& method, const std::string& path, const json& body) {
    if (path == "/api/v0/ssh/") return answer(method == "GET" ? json::array() : json{{"success", true}});
    if (method == "POST" && path == "/api/v0/bundles/") return answer({{"offers", offers}});
    if (method == "PUT" && path.rfind("/api/v0/asks/", 0) == 0) {
      const std::string ask = path.substr(13, path.size() - 14);
      if (refuse.count(ask)) return answer({{"success", false}, {"error", "no_such_ask"}, {"msg", "gone"}}, 404);
      rented.push_back(ask);
      const std::string id = std::to_string(next_id++);
      json machine;
      for (const auto& o : offers) {
        if (o["id"].dump() == ask) machine = o["machine_id"];
      }
      instances[id] = {{"id", std::stoi(id)},
                       {"label", body["label"]},
                       {"machine_id", machine},
                       {"actual_status", "running"},
                       {"intended_status", "running"},
                       {"public_ipaddr", "203.0.113.5"},
                       {"ports", {{"22/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "40022"}}}}}}};
      return answer({{"success", true}, {"new_contract", std::stoi(id)}});
    }
    if (path.rfind("/api/v0/instances/", 0) == 0) {
      const std::string id = path.substr(18, path.size() - 19);
      if (method == "DELETE") {
        if (!ignore_destroys) instances.erase(id);
        return answer({{"success", true}});
      }
      return answer({{"instances", instances.count(id) ? instances[id] : json()}});
    }
    if (path.rfind("/api/v1/instances/", 0) == 0) {
      json list = json::array();
      for (const auto& [id, instance] : instances) list.push_back(instance);
      return answer({{"instances", list}, {"next_token", nullptr}});
    }
    return answer({{"success", false}, {"error", "not_found"}}, 404);
  }
};

std::pair<std::shared_ptr<VastMarket>, std::unique_ptr<Provider>> vast_market() {
  auto market = std::make_shared<VastMarket>();
  auto api = std::make_shared<FakeApi>([market](auto& m, auto& p, auto& b) { return market->handle(m, p, b); });
  return {market, make_vast_provider(config_for(api))};
}

}  // namespace

TEST_CASE("vast: an excluded machine is never rented while another offer exists", "[providers][rest][vast]") {
  auto [market, vast] = vast_market();
  CHECK(vast->capabilities().chooses_machine);
  CHECK(vast->capabilities().reports_machine);
  auto host = vast->create(request_for("r", 0, {"501"}));  // 1001, the cheapest, is on machine 501
  REQUIRE(host);
  CHECK(market->rented == std::vector<std::string>{"1002"});
  CHECK(host->access["machine"] == "502");
  CHECK(host->access["offer"] == "1002");
  CHECK(host->access["label"] == "choline-r-node0");

  auto none = vast->create(request_for("r", 1, {"501", "502", "503"}));
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == ErrorKind::capacity);
  CHECK_THAT(none.error().message, Catch::Contains("on a machine this run must not use"));
  CHECK(market->rented.size() == 1);  // nothing more was rented
}

TEST_CASE("vast: an offer is tried once per run, a refusal included", "[providers][rest][vast]") {
  auto [market, vast] = vast_market();
  market->refuse = {"1001"};
  auto refused = vast->create(request_for("r"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::capacity);
  CHECK_THAT(refused.error().message, Catch::Contains("vast.ai offer 1001 was refused"));
  REQUIRE(vast->create(request_for("r")));
  CHECK(market->rented == std::vector<std::string>{"1002"});
  REQUIRE(vast->create(request_for("r", 1, {"502"})));
  CHECK(market->rented.back() == "1003");
  auto none = vast->create(request_for("r", 2));
  REQUIRE_FALSE(none);
  CHECK_THAT(none.error().message, Catch::Contains("on a machine this run has not tried yet"));
  // Another run has tried nothing yet.
  market->refuse.clear();
  REQUIRE(vast->create(request_for("other")));
  CHECK(market->rented.back() == "1001");
}

TEST_CASE("vast: located reports where the host is, release is verified by reading back", "[providers][rest][vast]") {
  auto [market, vast] = vast_market();
  auto host = vast->create(request_for("r"));
  REQUIRE(host);
  const Host up = vast->located(*host);
  CHECK(up.address == "203.0.113.5");
  CHECK(up.access["ssh_host"] == "203.0.113.5");
  CHECK(up.access["ssh_port"] == 40022);
  CHECK(up.access["machine"] == "501");

  auto listed = vast->labelled_instances("choline-");
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].id == host->id);
  CHECK(vast->labelled_instances("choline-other-")->empty());

  market->ignore_destroys = true;
  auto kept = vast->release(*host);
  REQUIRE_FALSE(kept);
  CHECK_THAT(kept.error().message, Catch::Contains("still exists after 5 destroy attempts"));
  market->ignore_destroys = false;
  CHECK(vast->release(*host));
  CHECK(market->instances.empty());
  // The id reused by an instance of another label: ours is gone already.
  auto again = vast->create(request_for("r", 1));
  REQUIRE(again);
  market->ignore_destroys = true;
  market->instances[again->id]["label"] = "someone-else";
  CHECK(vast->release(*again));
}

TEST_CASE("vast: a GPU it does not rent is refused before any request", "[providers][rest][vast]") {
  auto [market, vast] = vast_market();
  CHECK(vast->can_serve({"RTX3090", 4, 2}));
  auto cpu = vast->can_serve({"cpu", 4, 1});
  REQUIRE_FALSE(cpu);
  CHECK(cpu.error().kind == ErrorKind::usage);
  CHECK_THAT(cpu.error().message, Catch::Contains("vast.ai does not rent cpu") && Catch::Contains("RTX3090") &&
                                      Catch::Contains("--provider local"));
  CHECK(vast->create(request_for("r")).ok());
  HostRequest cpu_request = request_for("r", 1);
  cpu_request.shape = {"cpu", 4, 1};
  CHECK(vast->create(cpu_request).error().kind == ErrorKind::usage);
}

namespace {

// ---- RunPod: the offer is a GPU type, RunPod picks the machine ----------------------------------

struct RunPodMarket {
  int refuse = 0;  // the next N deploys find no capacity
  bool tell_machine_on_deploy = true;
  std::vector<std::string> deploys;  // the GPU type of each deploy
  std::map<std::string, json> pods;
  int next_id = 1;

  HttpResponse handle(const std::string&, const std::string&, const json& body) {
    const std::string q = body.value("query", "");
    if (q.find("gpuTypes") != std::string::npos) {
      return answer({{"data",
                      {{"gpuTypes",
                        {{{"id", "NVIDIA GeForce RTX 3090"},
                          {"displayName", "RTX 3090"},
                          {"lowestPrice", {{"minimumBidPrice", 0.13}, {"uninterruptablePrice", 0.22}}}}}}}}});
    }
    if (q.find("podFindAndDeployOnDemand") != std::string::npos) {
      if (refuse > 0) {
        --refuse;
        return answer(
            {{"errors",
              {{{"message", "There are no longer any instances available with the requested specifications."}}}}});
      }
      deploys.push_back("NVIDIA GeForce RTX 3090");
      const std::string id = "pod" + std::to_string(next_id);
      const std::string machine = "m-" + std::to_string(next_id++);
      const auto name_at = q.find("name: \"") + 7;
      pods[id] = {{"id", id},
                  {"name", q.substr(name_at, q.find('"', name_at) - name_at)},
                  {"machineId", machine},
                  {"desiredStatus", "RUNNING"},
                  {"runtime", nullptr}};
      json deployed = {{"id", id}};
      if (tell_machine_on_deploy) deployed["machineId"] = machine;
      return answer({{"data", {{"podFindAndDeployOnDemand", deployed}}}});
    }
    if (q.find("podTerminate") != std::string::npos) {
      for (auto it = pods.begin(); it != pods.end();)
        it = q.find(it->first) != std::string::npos ? pods.erase(it) : std::next(it);
      return answer({{"data", {{"podTerminate", nullptr}}}});
    }
    for (const auto& [id, pod] : pods) {
      if (q.find("\"" + id + "\"") != std::string::npos) return answer({{"data", {{"pod", pod}}}});
    }
    return answer({{"data", {{"pod", nullptr}}}});
  }
};

std::pair<std::shared_ptr<RunPodMarket>, std::unique_ptr<Provider>> runpod_market() {
  auto market = std::make_shared<RunPodMarket>();
  auto api = std::make_shared<FakeApi>([market](auto& m, auto& p, auto& b) { return market->handle(m, p, b); });
  return {market, make_runpod_provider(config_for(api))};
}

}  // namespace

TEST_CASE("RunPod: it picks the machine itself, and says which one the pod landed on", "[providers][rest][runpod]") {
  auto [market, runpod] = runpod_market();
  CHECK_FALSE(runpod->capabilities().chooses_machine);
  CHECK(runpod->capabilities().reports_machine);
  // The exclusion cannot be honoured: the pod is deployed, and its machine is there to check.
  auto host = runpod->create(request_for("r", 0, {"m-1"}));
  REQUIRE(host);
  CHECK(host->access["machine"] == "m-1");
  CHECK(host->price_per_hour == Approx(0.44));
  // Where the deploy's answer does not say, located() learns it from the pod.
  market->tell_machine_on_deploy = false;
  auto quiet = runpod->create(request_for("r", 1));
  REQUIRE(quiet);
  CHECK_FALSE(quiet->access.contains("machine"));
  CHECK(runpod->located(*quiet).access["machine"] == "m-2");
  CHECK(runpod->release(*quiet));
  CHECK(market->pods.size() == 1);
}

TEST_CASE("RunPod: a deploy refused for capacity is asked again by the next create", "[providers][rest][runpod]") {
  auto [market, runpod] = runpod_market();
  market->refuse = 1;
  auto refused = runpod->create(request_for("r"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::capacity);
  REQUIRE(runpod->create(request_for("r")));
  CHECK(market->deploys.size() == 1);
  CHECK(runpod->can_serve({"RTX3090", 2, 1}));
  CHECK(runpod->can_serve({"cpu", 2, 1}).error().kind == ErrorKind::usage);
}

namespace {

// ---- Lambda: offers are regions, Lambda picks the machine and does not say which ---------------

struct LambdaMarket {
  std::set<std::string> refuse;       // regions whose launches find no capacity
  std::vector<std::string> launches;  // the region of each launch attempt
  std::map<std::string, json> instances;
  int next_id = 1;

  HttpResponse handle(const std::string& method, const std::string& path, const json& body) {
    if (path == "/ssh-keys") return answer({{"data", json::array()}});
    if (path == "/instance-types") {
      return answer({{"data",
                      {{"gpu_2x_rtx3090",
                        {{"instance_type",
                          {{"gpu_description", "RTX 3090"}, {"price_cents_per_hour", 60}, {"specs", {{"gpus", 2}}}}},
                         {"regions_with_capacity_available", {{{"name", "us-east-1"}}, {{"name", "us-south-1"}}}}}}}}});
    }
    if (path == "/instance-operations/launch") {
      const std::string region = body["region_name"];
      launches.push_back(region);
      if (refuse.count(region)) {
        return answer(
            {{"error",
              {{"code", "instance-operations/launch/insufficient-capacity"}, {"message", "Not enough capacity"}}}},
            400);
      }
      const std::string id = "i" + std::to_string(next_id++);
      instances[id] = {{"id", id}, {"name", body["name"]}, {"status", "booting"}, {"ip", nullptr}};
      return answer({{"data", {{"instance_ids", {id}}}}});
    }
    if (path == "/instance-operations/terminate") {
      for (const auto& id : body["instance_ids"]) instances.erase(id.get<std::string>());
      return answer({{"data", {{"terminated_instances", json::array()}}}});
    }
    if (method == "GET" && path.rfind("/instances/", 0) == 0 && instances.count(path.substr(11))) {
      return answer({{"data", instances[path.substr(11)]}});
    }
    return answer({{"error", {{"code", "global/object-does-not-exist"}, {"message", "no"}}}}, 404);
  }
};

std::pair<std::shared_ptr<LambdaMarket>, std::unique_ptr<Provider>> lambda_market() {
  auto market = std::make_shared<LambdaMarket>();
  auto api = std::make_shared<FakeApi>([market](auto& m, auto& p, auto& b) { return market->handle(m, p, b); });
  return {market, make_lambda_provider(config_for(api))};
}

}  // namespace

TEST_CASE("Lambda: a region that refused goes after the others, and is asked again when all have",
          "[providers][rest][lambda]") {
  auto [market, lambda] = lambda_market();
  CHECK_FALSE(lambda->capabilities().chooses_machine);
  CHECK_FALSE(lambda->capabilities().reports_machine);
  market->refuse = {"us-east-1", "us-south-1"};
  CHECK(lambda->create(request_for("r")).error().kind == ErrorKind::capacity);
  CHECK(lambda->create(request_for("r")).error().kind == ErrorKind::capacity);
  market->refuse.clear();
  auto host = lambda->create(request_for("r"));
  REQUIRE(host);
  CHECK(market->launches == std::vector<std::string>{"us-east-1", "us-south-1", "us-east-1"});
  CHECK(host->access["region"] == "us-east-1");
  CHECK_FALSE(host->access.contains("machine"));
  // A region that rented is used again by the run's next node.
  REQUIRE(lambda->create(request_for("r", 1)));
  CHECK(market->launches.back() == "us-east-1");
  CHECK(lambda->release(*host));
  CHECK(market->instances.size() == 1);

  HostRequest spot = request_for("r", 2);
  spot.interruptible = true;
  CHECK(lambda->create(spot).error().kind == ErrorKind::unsupported);
  CHECK(lambda->can_serve({"RTX4090", 1, 1}).error().kind == ErrorKind::usage);
}
