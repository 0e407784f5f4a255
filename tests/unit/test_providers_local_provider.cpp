// The local provider: it has CPU slots only, says so before anything is created, and a
// replacement is a new "machine" (directory), never an excluded one.
#include <choline/providers/registry.hpp>

#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace choline;
using namespace choline::providers;

namespace {

// CHOLINE_HOME pointed at a scratch directory for the test's lifetime.
struct ScratchHome {
  testing::TempDir dir;
  std::optional<std::string> old;
  ScratchHome() {
    if (const char* v = std::getenv("CHOLINE_HOME")) old = v;
    ::setenv("CHOLINE_HOME", dir.path.c_str(), 1);
  }
  ~ScratchHome() {
    if (old)
      ::setenv("CHOLINE_HOME", old->c_str(), 1);
    else
      ::unsetenv("CHOLINE_HOME");
  }
};

}  // namespace

TEST_CASE("local: GPUs and too many CPU slots are refused up front, with the advice", "[providers][local]") {
  auto local = make_local_provider();
  CHECK(local->can_serve({"cpu", 4, 2}));
  auto gpus = local->can_serve({"RTX3090", 4, 1});
  REQUIRE_FALSE(gpus);
  CHECK(gpus.error().kind == ErrorKind::usage);
  CHECK_THAT(gpus.error().message, Catch::Contains("has no RTX3090") && Catch::Contains("--4xcpu") &&
                                       Catch::Contains("a provider that rents GPUs"));
  auto slots = local->can_serve({"cpu", spec::k_max_cpu_slots_per_host + 1, 1});
  REQUIRE_FALSE(slots);
  CHECK(slots.error().kind == ErrorKind::usage);
  CHECK_THAT(slots.error().message, Catch::Contains("at most 256 CPU worker slots"));
  HostRequest request;
  request.shape = {"RTX3090", 4, 1};
  auto created = local->create(request);
  REQUIRE_FALSE(created);
  CHECK(created.error().message == gpus.error().message);
}

TEST_CASE("local: a host is never an excluded machine", "[providers][local]") {
  ScratchHome home;
  auto local = make_local_provider();
  CHECK(local->capabilities().chooses_machine);
  HostRequest request;
  request.run_id = "r";
  request.shape = {"cpu", 2, 1};
  auto first = local->create(request);
  REQUIRE(first);
  CHECK(first->id == "r-node0");
  CHECK(first->access["machine"] == "r-node0");
  request.exclude = {"r-node0"};
  auto second = local->create(request);
  REQUIRE(second);
  CHECK(second->id == "r-node0-2");
  CHECK(std::filesystem::is_directory(second->root));
  request.exclude = {"r-node0", "r-node0-2"};
  CHECK(local->create(request)->id == "r-node0-3");
}
