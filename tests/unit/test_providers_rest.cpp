// The REST clients' pure parts against JSON shaped like the real APIs (docs/provider-apis.md):
// GPU name tables, request bodies, response parsing and error classification; and the ranking
// that orders `choline offers` and picks what `train` rents.
#include <choline/providers/ranking.hpp>
#include <choline/providers/rest.hpp>

#include <catch2/catch.hpp>

#include <set>

using namespace choline;
using namespace choline::providers;
using nlohmann::json;

namespace {

ApiError error_of(const std::variant<json, ApiError>& v) {
  REQUIRE(std::holds_alternative<ApiError>(v));
  return std::get<ApiError>(v);
}

Offer offer(std::string id, double price, double reliability = 0.99, std::string location = "Ohio, US", int gpus = 2,
            std::string machine = "") {
  Offer o;
  o.provider = "vast";
  o.id = std::move(id);
  o.gpus = gpus;
  o.price_per_hour = price;
  o.reliability = reliability;
  o.location = std::move(location);
  o.machine = std::move(machine);
  return o;
}

std::vector<std::string> ids(const std::vector<Offer>& offers) {
  std::vector<std::string> out;
  for (const auto& o : offers) out.push_back(o.id);
  return out;
}

}  // namespace

TEST_CASE("GPU names map to each provider's own names", "[providers][rest]") {
  CHECK(vast::gpu_name("RTX3090") == "RTX 3090");
  CHECK(vast::gpu_name("RTX4090") == "RTX 4090");
  CHECK(vast::gpu_name("H100") == "H100 SXM");
  CHECK(vast::gpu_name("RTX6000ADA") == "RTX 6000Ada");
  CHECK(vast::gpu_name("RTXA6000") == "RTX A6000");
  CHECK_FALSE(vast::gpu_name("cpu"));
  CHECK(runpod::gpu_type_id("RTX3090") == "NVIDIA GeForce RTX 3090");
  CHECK(runpod::gpu_type_id("A100-80GB") == "NVIDIA A100-SXM4-80GB");
  CHECK(runpod::gpu_type_id("H100") == "NVIDIA H100 80GB HBM3");
  CHECK_FALSE(runpod::gpu_type_id("cpu"));
  CHECK(lambda::instance_type("A100", 1) == "gpu_1x_a100");
  CHECK(lambda::instance_type("H100", 8) == "gpu_8x_h100_sxm5");
  CHECK(lambda::instance_type("RTX3090", 2) == "gpu_2x_rtx3090");
  CHECK_FALSE(lambda::instance_type("RTX4090", 1));
}

TEST_CASE("vast: the search body is flat, with the CLI's defaults and spaced GPU names", "[providers][rest][vast]") {
  const json body = vast::search_body({"RTX3090", 4, 1}, false, 32);
  CHECK(body["gpu_name"] == json{{"eq", "RTX 3090"}});
  CHECK(body["num_gpus"] == json{{"eq", 4}});
  CHECK(body["verified"] == json{{"eq", true}});
  CHECK(body["external"] == json{{"eq", false}});
  CHECK(body["rentable"] == json{{"eq", true}});
  CHECK(body["rented"] == json{{"eq", false}});
  CHECK(body["type"] == "on-demand");
  CHECK(body["allocated_storage"] == 32);
  CHECK(body["order"] == json::array({json::array({"dph_total", "asc"})}));
  CHECK(vast::search_body({"RTX3090", 1, 1}, true, 10)["type"] == "bid");

  const json create = vast::create_body("img:1", 40, "choline-r-node0", std::nullopt);
  CHECK(create["client_id"] == "me");
  CHECK(create["runtype"] == "ssh_direc ssh_proxy");
  CHECK(create["label"] == "choline-r-node0");
  CHECK(create["disk"] == 40);
  CHECK(create["price"].is_null());
  CHECK(vast::create_body("img:1", 40, "l", 0.31)["price"] == 0.31);
}

TEST_CASE("vast: offers parse from a search answer, storage is priced for the disk", "[providers][rest][vast]") {
  const json answer = json::parse(R"({"offers": [
    {"id": 4321, "machine_id": 99, "gpu_name": "RTX 3090", "num_gpus": 4, "gpu_ram": 24576,
     "dph_base": 0.8, "dph_total": 0.8089, "min_bid": 0.5, "storage_cost": 0.2, "inet_up": 400.5,
     "inet_down": 812.3, "reliability": 0.97, "reliability2": 0.981, "geolocation": "Ohio, US",
     "direct_port_count": 20, "verification": "verified", "score": 1.2}]})");
  auto offers = vast::parse_offers(answer, 32, false);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].id == "4321");
  CHECK(offers[0].machine == "99");
  CHECK(offers[0].gpus == 4);
  CHECK(offers[0].price_per_hour == Approx(0.8));
  CHECK(offers[0].storage_per_hour == Approx(0.2 * 32 / 720.0));
  CHECK(offers[0].reliability == Approx(0.981));
  CHECK(offers[0].location == "Ohio, US");
  CHECK(offers[0].inet_down_mbps == Approx(812.3));
  CHECK(vast::parse_offers(answer, 32, true)[0].price_per_hour == Approx(0.5));
  CHECK(vast::parse_offers(json::object(), 32, false).empty());
}

TEST_CASE("vast: an instance is ready when running with an SSH port, dead states and reused ids are gone",
          "[providers][rest][vast]") {
  const json loading = json::parse(R"({"instances": {"id": 7, "label": "choline-r-node0", "actual_status": "loading",
    "intended_status": "running", "status_msg": "pulling image", "public_ipaddr": "1.2.3.4", "ports": {}}})");
  auto view = vast::parse_instance(loading, "choline-r-node0");
  CHECK(view.status == HostStatus::provisioning);
  CHECK(view.message == "loading: pulling image");

  const json running = json::parse(R"({"instances": {"id": 7, "label": "choline-r-node0", "actual_status": "running",
    "intended_status": "running", "public_ipaddr": "1.2.3.4", "ssh_host": "ssh5.vast.ai", "ssh_port": 31000,
    "ports": {"22/tcp": [{"HostIp": "0.0.0.0", "HostPort": "41022"}]}}})");
  view = vast::parse_instance(running, "choline-r-node0");
  CHECK(view.status == HostStatus::ready);
  CHECK(view.ssh_host == "1.2.3.4");
  CHECK(view.ssh_port == 41022);
  // Proxy SSH when no direct port is mapped.
  json proxied = running;
  proxied["instances"]["ports"] = json::object();
  view = vast::parse_instance(proxied, "choline-r-node0");
  CHECK(view.ssh_host == "ssh5.vast.ai");
  CHECK(view.ssh_port == 31000);

  for (const char* dead : {"exited", "offline", "unknown"}) {
    json d = running;
    d["instances"]["actual_status"] = dead;
    view = vast::parse_instance(d, "choline-r-node0");
    CHECK(view.status == HostStatus::gone);
    CHECK(view.exists);  // still billed until destroyed
  }
  view = vast::parse_instance(json::parse(R"({"instances": null})"), "choline-r-node0");
  CHECK(view.status == HostStatus::gone);
  CHECK_FALSE(view.exists);
  // The id was reused by someone else's instance: ours is gone.
  view = vast::parse_instance(running, "choline-other-node0");
  CHECK_FALSE(view.exists);
}

TEST_CASE("vast: errors are classified from the body, including 200 with success false", "[providers][rest][vast]") {
  CHECK(error_of(vast::classify({401, R"({"success":false,"error":"auth_error","msg":"Invalid user key"})"})).kind ==
        ApiErrorKind::auth);
  auto auth404 = error_of(vast::classify({404, R"({"success":false,"error":"auth_error","msg":"Invalid user key"})"}));
  CHECK(auth404.kind == ApiErrorKind::auth);
  CHECK_THAT(auth404.message, Catch::Contains("VAST_API_KEY"));
  CHECK(error_of(vast::classify({404, R"({"success":false,"error":"no_such_ask","msg":"gone"})"})).kind ==
        ApiErrorKind::no_capacity);
  CHECK(error_of(vast::classify({429, "Too Many Requests"})).kind == ApiErrorKind::rate_limited);
  CHECK(error_of(vast::classify({502, "<html>bad gateway</html>"})).kind == ApiErrorKind::transient);
  CHECK(error_of(vast::classify({410, R"({"success":false,"error":"deprecated_endpoint"})"})).kind ==
        ApiErrorKind::not_found);
  CHECK(error_of(vast::classify({200, R"({"success":false,"error":"invalid_args","msg":"bad disk"})"})).kind ==
        ApiErrorKind::invalid);
  auto ok = vast::classify({200, R"({"success":true,"new_contract":7})"});
  REQUIRE(std::holds_alternative<json>(ok));
  CHECK(std::get<json>(ok)["new_contract"] == 7);
}

TEST_CASE("RunPod: GraphQL bodies name the GPU type, the key and the label", "[providers][rest][runpod]") {
  const std::string deploy = runpod::deploy_mutation("NVIDIA GeForce RTX 3090", 2, "img", 32, "choline-r-node1",
                                                     "ssh-ed25519 AAAA choline", std::nullopt)["query"];
  CHECK_THAT(deploy, Catch::Contains("podFindAndDeployOnDemand"));
  CHECK_THAT(deploy, Catch::Contains("gpuTypeId: \"NVIDIA GeForce RTX 3090\""));
  CHECK_THAT(deploy, Catch::Contains("gpuCount: 2"));
  CHECK_THAT(deploy, Catch::Contains("name: \"choline-r-node1\""));
  CHECK_THAT(deploy, Catch::Contains("{key: \"PUBLIC_KEY\", value: \"ssh-ed25519 AAAA choline\"}"));
  CHECK_THAT(deploy, Catch::Contains("ports: \"22/tcp\""));
  const std::string spot = runpod::deploy_mutation("X", 1, "img", 32, "l", "k", 0.2)["query"];
  CHECK_THAT(spot, Catch::Contains("podRentInterruptable"));
  CHECK_THAT(spot, Catch::Contains("bidPerGpu: 0.2000"));
  CHECK_THAT(runpod::gpu_types_query(4)["query"].get<std::string>(),
             Catch::Contains("lowestPrice(input: {gpuCount: 4})"));
}

TEST_CASE("RunPod: prices, pods and errors inside HTTP 200", "[providers][rest][runpod]") {
  const json data = json::parse(R"({"gpuTypes": [
    {"id": "NVIDIA GeForce RTX 3090", "displayName": "RTX 3090", "memoryInGb": 24, "securePrice": 0.43,
     "communityPrice": 0.22, "lowestPrice": {"minimumBidPrice": 0.13, "uninterruptablePrice": 0.22}},
    {"id": "NVIDIA GeForce RTX 4090", "displayName": "RTX 4090", "lowestPrice": {"uninterruptablePrice": null}}]})");
  auto offers = runpod::parse_offers(data, "NVIDIA GeForce RTX 3090", 4);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].price_per_hour == Approx(0.88));
  CHECK(offers[0].gpus == 4);
  CHECK(runpod::parse_offers(data, "NVIDIA GeForce RTX 4090", 1).empty());

  auto pod = runpod::parse_pod(json::parse(R"({"pod": {"id": "p1", "desiredStatus": "RUNNING", "runtime": null}})"));
  CHECK(pod.status == HostStatus::provisioning);
  // Ports lag behind RUNNING.
  pod =
      runpod::parse_pod(json::parse(R"({"pod": {"id": "p1", "desiredStatus": "RUNNING", "runtime": {"ports": []}}})"));
  CHECK(pod.status == HostStatus::provisioning);
  pod = runpod::parse_pod(
      json::parse(R"({"pod": {"id": "p1", "desiredStatus": "RUNNING", "runtime": {"uptimeInSeconds": 3,
    "ports": [{"ip": "10.0.0.1", "isIpPublic": false, "privatePort": 22, "publicPort": 22, "type": "tcp"},
              {"ip": "69.30.85.1", "isIpPublic": true, "privatePort": 22, "publicPort": 22117, "type": "tcp"}]}}})"));
  CHECK(pod.status == HostStatus::ready);
  CHECK(pod.ssh_host == "69.30.85.1");
  CHECK(pod.ssh_port == 22117);
  CHECK(runpod::parse_pod(json::parse(R"({"pod": {"id": "p1", "desiredStatus": "EXITED"}})")).status ==
        HostStatus::gone);
  CHECK(runpod::parse_pod(json::parse(R"({"pod": null})")).status == HostStatus::gone);

  auto capacity = error_of(runpod::classify(
      {200,
       R"({"errors":[{"message":"There are no longer any instances available with the requested specifications. Please refresh and try again."}],"data":{"podFindAndDeployOnDemand":null}})"}));
  CHECK(capacity.kind == ApiErrorKind::no_capacity);
  CHECK(error_of(runpod::classify({401, ""})).kind == ApiErrorKind::auth);
  CHECK(error_of(runpod::classify({200, R"({"errors":[{"message":"Something went wrong"}]})"})).kind ==
        ApiErrorKind::invalid);
  auto ok = runpod::classify({200, R"({"data":{"pod":{"id":"p1"}}})"});
  REQUIRE(std::holds_alternative<json>(ok));
  CHECK(std::get<json>(ok)["pod"]["id"] == "p1");
}

TEST_CASE("Lambda: instance types per region, states, and {error:{code}} bodies", "[providers][rest][lambda]") {
  const json types = json::parse(R"({"data": {"gpu_8x_h100_sxm5": {"instance_type": {"name": "gpu_8x_h100_sxm5",
    "gpu_description": "H100 80GB SXM5", "price_cents_per_hour": 2392, "specs": {"vcpus": 208, "memory_gib": 1800,
    "storage_gib": 24780, "gpus": 8}}, "regions_with_capacity_available": [{"name": "us-east-3"}, {"name": "us-south-2"}]}}})");
  auto offers = lambda::parse_offers(types, "gpu_8x_h100_sxm5");
  REQUIRE(offers.size() == 2);
  CHECK(offers[0].id == "gpu_8x_h100_sxm5@us-east-3");
  CHECK(offers[0].price_per_hour == Approx(23.92));
  CHECK(offers[0].gpus == 8);
  CHECK(offers[1].location == "us-south-2");
  CHECK(lambda::parse_offers(types, "gpu_1x_a10").empty());

  CHECK(lambda::parse_instance(json::parse(R"({"data": {"id": "i", "status": "booting", "ip": null}})")).status ==
        HostStatus::provisioning);
  auto active = lambda::parse_instance(json::parse(R"({"data": {"id": "i", "status": "active", "ip": "129.1.2.3"}})"));
  CHECK(active.status == HostStatus::ready);
  CHECK(active.ssh_host == "129.1.2.3");
  CHECK(active.ssh_port == 22);
  for (const char* dead : {"unhealthy", "terminated", "terminating", "preempted"}) {
    CHECK(lambda::parse_instance(json{{"data", {{"status", dead}}}}).status == HostStatus::gone);
  }
  CHECK(
      error_of(
          lambda::classify(
              {400,
               R"({"error":{"code":"instance-operations/launch/insufficient-capacity","message":"Not enough capacity"}})"}))
          .kind == ApiErrorKind::no_capacity);
  auto auth = error_of(
      lambda::classify({401, R"({"error":{"code":"global/invalid-api-key","message":"API key was invalid"}})"}));
  CHECK(auth.kind == ApiErrorKind::auth);
  CHECK_THAT(auth.message, Catch::Contains("LAMBDA_API_KEY"));
  CHECK(error_of(lambda::classify({404, R"({"error":{"code":"global/object-does-not-exist","message":"no"}})"})).kind ==
        ApiErrorKind::not_found);
  CHECK(error_of(lambda::classify({429, R"({"error":{"code":"global/too-many-requests","message":"slow down"}})"}))
            .kind == ApiErrorKind::rate_limited);
}

TEST_CASE("Ranking: cheapest effective price first, reliability floor, price cap, exclusions", "[providers][ranking]") {
  std::vector<Offer> offers = {offer("a", 0.50), offer("b", 0.40), offer("c", 0.30, 0.80),
                               offer("d", 0.45, 0.99, "Ohio, US", 2, "m9"), offer("e", 0.40, 0.999)};
  offers[0].storage_per_hour = 0.0;
  offers[1].storage_per_hour = 0.02;  // b: 0.42 in all
  CHECK(ids(rank_offers(offers, {})) == std::vector<std::string>{"e", "b", "d", "a"});
  RankCriteria capped;
  capped.max_price_per_gpu = 0.21;  // per GPU on the GPU price: a (0.25) and d (0.225) go
  CHECK(ids(rank_offers(offers, capped)) == std::vector<std::string>{"e", "b"});
  RankCriteria excluding;
  excluding.exclude = {"e", "m9"};  // an offer id and a machine id
  CHECK(ids(rank_offers(offers, excluding)) == std::vector<std::string>{"b", "a"});
  RankCriteria lenient;
  lenient.min_reliability = 0.5;
  CHECK(ids(rank_offers(offers, lenient)).front() == "c");
  CHECK(effective_price(offers[1]) == Approx(0.42));
  CHECK(price_per_gpu(offers[0]) == Approx(0.25));
}

TEST_CASE("Ranking: several nodes prefer the location that can hold them all", "[providers][ranking]") {
  std::vector<Offer> offers = {offer("cheap-ca", 0.30, 0.99, "Quebec, CA"), offer("oh-1", 0.40), offer("oh-2", 0.41),
                               offer("tx-1", 0.35, 0.99, "Texas, US")};
  CHECK(best_location(offers, 2) == "Ohio, US");
  CHECK_FALSE(best_location(offers, 3));
  RankCriteria two;
  two.nodes = 2;
  CHECK(ids(rank_offers(offers, two)) == std::vector<std::string>{"oh-1", "oh-2", "cheap-ca", "tx-1"});
  CHECK(ids(rank_offers(offers, {})).front() == "cheap-ca");
}

TEST_CASE("Instance labels carry the run and node", "[providers][rest]") {
  CHECK(instance_label("20261123-152501-tr-3fa2", 1) == "choline-20261123-152501-tr-3fa2-node1");
  CHECK(instance_label("20261123-152501-tr-3fa2", 1, 2) == "choline-20261123-152501-tr-3fa2-node1-2");
}

namespace {

// Every value in `sample` (found by JSON pointer), replaced in turn by each of these: a provider
// that answers null for a field still being set up, or a type its docs do not give, must make a
// parser fall back, never throw (an exception would end the run with hosts still billing).
std::vector<json> variants_of(const json& sample) {
  const std::vector<json> replacements = {
      json(), "x", 7, -1, 1e300, true, json::array(), json::object(), json::array({json()})};
  std::vector<json> out = replacements;  // the whole answer replaced
  const json flat = sample.flatten();
  std::set<std::string> pointers;
  for (const auto& [pointer, leaf] : flat.items()) {
    // Every prefix of a leaf's pointer is a value too ("/data/pod", "/data/pod/runtime").
    for (std::size_t slash = pointer.find('/', 1); slash != std::string::npos; slash = pointer.find('/', slash + 1)) {
      pointers.insert(pointer.substr(0, slash));
    }
    pointers.insert(pointer);
  }
  for (const auto& pointer : pointers) {
    for (const auto& replacement : replacements) {
      json variant = sample;
      variant[json::json_pointer(pointer)] = replacement;
      out.push_back(std::move(variant));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Provider answers with nulls or unexpected types anywhere parse to fallbacks, never an exception",
          "[providers][rest][security]") {
  const json vast_offers =
      json::parse(R"({"offers": [{"id": 4321, "machine_id": 99, "gpu_name": "RTX 3090", "num_gpus": 4,
    "dph_base": 0.8, "dph_total": 0.8089, "min_bid": 0.5, "storage_cost": 0.2, "inet_up": 400.5, "inet_down": 812.3,
    "reliability2": 0.981, "geolocation": "Ohio, US"}]})");
  const json vast_instance = json::parse(R"({"instances": {"id": 7, "label": "l", "actual_status": "running",
    "intended_status": "running", "status_msg": "ok", "public_ipaddr": "1.2.3.4", "ssh_host": "ssh5.vast.ai", "ssh_port": 31000,
    "ports": {"22/tcp": [{"HostIp": "0.0.0.0", "HostPort": "41022"}]}}})");
  const json runpod_types = json::parse(R"({"gpuTypes": [{"id": "G", "displayName": "RTX 3090",
    "lowestPrice": {"minimumBidPrice": 0.13, "uninterruptablePrice": 0.22}}]})");
  const json runpod_pod =
      json::parse(R"({"pod": {"id": "p1", "name": "l", "desiredStatus": "RUNNING", "runtime": {"uptimeInSeconds": 3,
    "ports": [{"ip": "69.30.85.1", "isIpPublic": true, "privatePort": 22, "publicPort": 22117, "type": "tcp"}]}}})");
  const json runpod_error =
      json::parse(R"({"errors": [{"message": "There are no longer any instances available"}], "data": {"pod": null}})");
  const json lambda_types = json::parse(R"({"data": {"T": {"instance_type": {"name": "T", "gpu_description": "H100",
    "price_cents_per_hour": 2392, "specs": {"gpus": 8}}, "regions_with_capacity_available": [{"name": "us-east-3"}]}}})");
  const json lambda_instance =
      json::parse(R"({"data": {"id": "i", "name": "l", "status": "active", "ip": "129.1.2.3"}})");
  const json lambda_error = json::parse(R"({"error": {"code": "global/object-does-not-exist", "message": "no"}})");

  std::size_t tried = 0;
  for (const auto& v : variants_of(vast_offers)) {
    CHECK_NOTHROW(vast::parse_offers(v, 32, false));
    CHECK_NOTHROW(vast::parse_offers(v, 32, true));
    ++tried;
  }
  for (const auto& v : variants_of(vast_instance)) {
    CHECK_NOTHROW(vast::parse_instance(v, "l"));
    ++tried;
  }
  for (const auto& v : variants_of(runpod_types)) {
    CHECK_NOTHROW(runpod::parse_offers(v, "G", 2));
    ++tried;
  }
  for (const auto& v : variants_of(runpod_pod)) {
    CHECK_NOTHROW(runpod::parse_pod(v));
    ++tried;
  }
  for (const auto& v : variants_of(lambda_types)) {
    CHECK_NOTHROW(lambda::parse_offers(v, "T"));
    ++tried;
  }
  for (const auto& v : variants_of(lambda_instance)) {
    CHECK_NOTHROW(lambda::parse_instance(v));
    ++tried;
  }
  // The error classifiers read the raw body, at every status that takes a different branch.
  for (const json* sample : {&vast_instance, &runpod_error, &runpod_pod, &lambda_error, &lambda_instance}) {
    for (const auto& v : variants_of(*sample)) {
      const std::string body = v.dump();
      for (int status : {200, 400, 401, 404, 500}) {
        CHECK_NOTHROW(vast::classify({status, body}));
        CHECK_NOTHROW(runpod::classify({status, body}));
        CHECK_NOTHROW(lambda::classify({status, body}));
      }
      ++tried;
    }
  }
  CHECK(tried > 500);
  // Not JSON at all, cut, or nested past the limit: unreadable, not a crash.
  for (const std::string& body : {std::string("<html>"), std::string(R"({"data": {"pod")"), std::string(100000, '[')}) {
    CHECK(error_of(runpod::classify({200, body})).kind == ApiErrorKind::transient);
    CHECK(error_of(lambda::classify({200, body})).kind == ApiErrorKind::transient);
    CHECK(error_of(vast::classify({200, body})).kind == ApiErrorKind::transient);
  }
  // A null field reads as absent: a booting RunPod pod whose status is not set yet.
  CHECK(runpod::parse_pod(json::parse(R"({"pod": {"id": "p1", "desiredStatus": null, "runtime": null}})")).status ==
        HostStatus::provisioning);
}
