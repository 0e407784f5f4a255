// Cost from the journal, and which labelled instances are orphans (both pure).
#include <choline/records/cost.hpp>
#include <choline/run/orphans.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::run;
using namespace choline::records;

namespace {

HostRecord host(const std::string& id, double price, HostState state, const std::string& label = "") {
  HostRecord h;
  h.host.provider = "vast";
  h.host.id = id;
  h.host.price_per_hour = price;
  h.host.access = {{"label", label}};
  h.state = state;
  return h;
}

}  // namespace

TEST_CASE("ISO timestamps parse to epoch seconds", "[run][cost]") {
  CHECK(*parse_iso8601("1970-01-01T00:00:10.500Z") == Approx(10.5));
  CHECK(*parse_iso8601("2026-11-23T15:25:01.000Z") - *parse_iso8601("2026-11-23T14:25:01.000Z") == Approx(3600));
  CHECK_FALSE(parse_iso8601("yesterday"));
}

TEST_CASE("A run costs each host's price from created to released, and until now while held", "[run][cost]") {
  RunRecord r;
  r.hosts = {host("a", 2.0, HostState::released), host("b", 1.0, HostState::ready)};
  r.events = nlohmann::json::array({
      {{"type", "host_created"}, {"id", "a"}, {"at", "2026-01-01T00:00:00.000Z"}},
      {{"type", "host_created"}, {"id", "b"}, {"at", "2026-01-01T00:30:00.000Z"}},
      {{"type", "host_released"}, {"id", "a"}, {"at", "2026-01-01T01:30:00.000Z"}},
  });
  const double now = *parse_iso8601("2026-01-01T02:30:00.000Z");
  const RunCost cost = cost_of(r, now);
  CHECK(cost.per_hour == Approx(1.0));
  CHECK(cost.spent == Approx(2.0 * 1.5 + 1.0 * 2.0));
}

TEST_CASE("Orphans: labelled instances no held host of this project names", "[run][orphans]") {
  RunRecord r;
  r.hosts = {host("1", 0, HostState::ready, "choline-r1-node0"), host("2", 0, HostState::released, "choline-r1-node1")};
  providers::Host held, released, foreign;
  held.provider = released.provider = foreign.provider = "vast";
  held.access = {{"label", "choline-r1-node0"}};
  released.access = {{"label", "choline-r1-node1"}};  // released, yet alive: a leak
  foreign.access = {{"label", "choline-r9-node0"}};
  auto orphans = unowned({held, released, foreign}, {r});
  REQUIRE(orphans.size() == 2);
  CHECK(orphans[0].access["label"] == "choline-r1-node1");
  CHECK(orphans[1].access["label"] == "choline-r9-node0");
}
