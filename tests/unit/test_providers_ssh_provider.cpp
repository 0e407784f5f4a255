// The ssh provider: requests its listed hosts can never serve are refused up front, saying
// what the hosts have; a new host is never an excluded machine nor one the run already holds.
#include <choline/providers/registry.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::providers;

namespace {

spec::HostEntry entry(std::string host, std::string gpus, int port = 22) {
  spec::HostEntry e;
  e.host = std::move(host);
  e.port = port;
  e.user = "u";
  e.gpus = std::move(gpus);
  return e;
}

HostRequest request_for(spec::GpuSpec shape, int node = 0, std::vector<std::string> exclude = {}) {
  HostRequest request;
  request.run_id = "r";
  request.node = node;
  request.shape = std::move(shape);
  request.exclude = std::move(exclude);
  return request;
}

std::string usage_message(const Status& status) {
  REQUIRE_FALSE(status);
  CHECK(status.error().kind == ErrorKind::usage);
  return status.error().message;
}

}  // namespace

TEST_CASE("ssh: shapes the listed hosts can never serve are refused up front", "[providers][ssh]") {
  auto none = make_ssh_provider({});
  CHECK_THAT(usage_message(none->can_serve({"RTX3090", 1, 1})),
             Catch::Contains("needs hosts") && Catch::Contains("choline.json"));

  auto ssh = make_ssh_provider({entry("a", "2xRTX3090"), entry("b", "4xRTX3090"), entry("c", "1xA100-80GB")});
  CHECK(ssh->can_serve({"RTX3090", 2, 2}));
  CHECK(ssh->can_serve({"RTX3090", 4, 1}));
  CHECK(ssh->can_serve({"A100", 1, 1}));  // any A100: an A100-80GB is one
  CHECK(ssh->capabilities().chooses_machine);

  const std::string model = usage_message(ssh->can_serve({"H100", 1, 1}));
  CHECK_THAT(model, Catch::Contains("no host in choline.json has H100") && Catch::Contains("2xRTX3090 on a") &&
                        Catch::Contains("1xA100-80GB on c"));
  const std::string per_host = usage_message(ssh->can_serve({"RTX3090", 8, 1}));
  CHECK_THAT(per_host, Catch::Contains("has 8 RTX3090") && Catch::Contains("the most is 4, on b") &&
                           Catch::Contains("--4xRTX3090"));
  const std::string nodes = usage_message(ssh->can_serve({"RTX3090", 4, 2}));
  CHECK_THAT(nodes, Catch::Contains("2 nodes of 4xRTX3090 need 2 hosts") &&
                        Catch::Contains("lists 1 that fit (b:22)") && Catch::Contains("--nodes 1"));
  // create() fails the same way.
  auto created = ssh->create(request_for({"H100", 1, 1}));
  REQUIRE_FALSE(created);
  CHECK(created.error().message == model);
}

TEST_CASE("ssh: an excluded machine is never given out, nor one the run already holds", "[providers][ssh]") {
  auto ssh = make_ssh_provider({entry("a", "2xRTX3090"), entry("b", "2xRTX3090"), entry("c", "2xRTX3090")});
  auto host = ssh->create(request_for({"RTX3090", 2, 1}, 0, {"u@a:22"}));
  REQUIRE(host);
  CHECK(host->id == "u@b:22");
  CHECK(host->access["machine"] == "u@b:22");
  CHECK(host->address == "b");

  auto excluded = ssh->create(request_for({"RTX3090", 2, 1}, 1, {"u@a:22", "u@b:22", "u@c:22"}));
  REQUIRE_FALSE(excluded);
  CHECK(excluded.error().kind == ErrorKind::capacity);
  CHECK_THAT(excluded.error().message, Catch::Contains("on a machine this run must not use"));

  auto next = ssh->create(request_for({"RTX3090", 2, 1}, 1));
  REQUIRE(next);
  CHECK(next->id == "u@a:22");  // b is taken by node 0
  REQUIRE(ssh->create(request_for({"RTX3090", 2, 1}, 2)));
  auto full = ssh->create(request_for({"RTX3090", 2, 1}, 3));
  REQUIRE_FALSE(full);
  CHECK(full.error().kind == ErrorKind::capacity);
  CHECK_THAT(full.error().message, Catch::Contains("not tried yet") && Catch::Contains("list more hosts"));
}
