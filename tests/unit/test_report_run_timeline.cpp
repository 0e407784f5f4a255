#include <choline/report/run_timeline.hpp>

#include <catch2/catch.hpp>

using namespace choline::records;
using namespace choline::report;
using nlohmann::json;

TEST_CASE("Attempt spans follow the merged history", "[run][timeline]") {
  std::vector<MetricPoint> history;
  for (auto [attempt, step] : std::vector<std::pair<int, int>>{{1, 0}, {1, 20}, {2, 30}, {2, 40}, {4, 60}}) {
    history.push_back({attempt, step, {{"step", step}}});
  }
  CHECK(attempt_spans(history) == std::vector<AttemptSpan>{{1, 0, 20, 2}, {2, 30, 40, 2}, {4, 60, 60, 1}});
  CHECK(attempt_spans({}).empty());
}

TEST_CASE("Attempt boundaries say whether a restart, a lost host or a resume began each attempt", "[run][timeline]") {
  RunRecord record;
  record.events = json::array({
      {{"type", "created"}, {"at", "t0"}},
      {{"type", "attempt_started"}, {"attempt", 1}, {"at", "t1"}},
      {{"type", "attempt_ended"}, {"attempt", 1}, {"outcome", "failed: rank 1 exited 3"}},
      {{"type", "attempt_started"}, {"attempt", 2}, {"at", "t2"}},
      {{"type", "attempt_ended"}, {"attempt", 2}, {"outcome", "host lost"}},
      {{"type", "host_lost"}, {"node", 1}, {"id", "h1"}, {"reason", "its processes died"}},
      {{"type", "host_created"}, {"node", 1}, {"id", "h2"}},
      {{"type", "attempt_started"}, {"attempt", 3}, {"at", "t3"}},
      {{"type", "attempt_ended"}, {"attempt", 3}, {"outcome", "stopped"}},
      {{"type", "resumed"}, {"attempt", 4}},
      {{"type", "attempt_started"}, {"attempt", 4}, {"at", "t4"}},
  });
  const auto boundaries = attempt_boundaries(record);
  REQUIRE(boundaries.size() == 3);
  CHECK(boundaries[0].attempt == 2);
  CHECK(boundaries[0].kind == BoundaryKind::restart);
  CHECK(boundaries[0].reason == "failed: rank 1 exited 3");
  CHECK(boundaries[0].at == "t2");
  CHECK(boundaries[1].attempt == 3);
  CHECK(boundaries[1].kind == BoundaryKind::host_lost);
  CHECK(boundaries[1].reason == "node 1 h1: its processes died");
  CHECK(boundaries[2].kind == BoundaryKind::resumed);
  CHECK(boundaries[2].reason == "choline resume after: stopped");
  CHECK(std::string(to_string(BoundaryKind::host_lost)) == "host lost");
}
