#include <choline/agent/job.hpp>
#include <choline/records/metrics.hpp>

#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace choline;
using namespace choline::records;

namespace {

MetricPoint point(int attempt, std::int64_t step, double loss) {
  MetricPoint p;
  p.attempt = attempt;
  p.step = step;
  p.values = {{"step", step}, {"loss", loss}};
  return p;
}

std::vector<std::int64_t> steps(const std::vector<MetricPoint>& history) {
  std::vector<std::int64_t> out;
  for (const auto& p : history) out.push_back(p.step);
  return out;
}

}  // namespace

TEST_CASE("Metrics lines are picked out, and only well-formed small ones", "[run][metrics]") {
  auto values = parse_metrics_line(R"(choline-metrics: {"step": 40, "loss": 0.5})");
  REQUIRE(values);
  CHECK((*values)["step"] == 40);
  CHECK(parse_metrics_line(R"(choline-metrics: {"step": 40.0})"));
  CHECK_FALSE(parse_metrics_line("epoch 0 step 40 loss 0.5"));
  CHECK_FALSE(parse_metrics_line(R"(choline-metrics: {"loss": 0.5})"));
  CHECK_FALSE(parse_metrics_line(R"(choline-metrics: {"step": -1})"));
  CHECK_FALSE(parse_metrics_line(R"(choline-metrics: {"step": 1.5})"));
  CHECK_FALSE(parse_metrics_line(R"(choline-metrics: [1, 2])"));
  CHECK_FALSE(parse_metrics_line("choline-metrics: {not json"));
  // A host may send anything: deep nesting is refused before the parser recurses into it.
  CHECK_FALSE(parse_metrics_line("choline-metrics: {\"step\": 1, \"a\": " + std::string(10000, '[') +
                                 std::string(10000, ']') + "}"));
  CHECK_FALSE(parse_metrics_line("choline-metrics: {\"step\": 1, \"s\": \"" + std::string(20000, 'x') + "\"}"));
}

TEST_CASE("A later attempt's steps replace the ones it re-ran: steps strictly increase", "[run][metrics]") {
  std::vector<MetricPoint> history;
  for (int step : {0, 20, 40, 60}) CHECK_FALSE(merge_point(history, point(1, step, 1.0)));
  // Attempt 2 resumed from a checkpoint at step 30 and re-runs 40 and 60.
  CHECK(merge_point(history, point(2, 40, 0.5)));
  CHECK(steps(history) == std::vector<std::int64_t>{0, 20, 40});
  CHECK(history.back().attempt == 2);
  CHECK_FALSE(merge_point(history, point(2, 60, 0.4)));
  CHECK(steps(history) == std::vector<std::int64_t>{0, 20, 40, 60});
  // The same step again in the same attempt adds values (an evaluation at a training step).
  MetricPoint eval = point(2, 60, 0.4);
  eval.values = {{"step", 60}, {"test_accuracy", 0.8}};
  CHECK(merge_point(history, eval));
  CHECK(history.back().values["loss"] == 0.4);
  CHECK(history.back().values["test_accuracy"] == 0.8);
  CHECK(history.size() == 4);
}

TEST_CASE("metrics.jsonl is appended, rewritten only when points are replaced, and reloads the same",
          "[run][metrics]") {
  testing::TempDir dir;
  const auto path = dir.path / "metrics.jsonl";
  {
    MetricsCollector collector(path, 1);
    collector.on_line(0, agent::attempt_marker(1));
    collector.on_line(0, R"(choline-metrics: {"step": 0, "loss": 2.0})");
    collector.on_line(0, R"(choline-metrics: {"step": 10, "loss": 1.0})");
    collector.on_line(1, R"(choline-metrics: {"step": 99, "loss": 9.0})");  // other ranks are ignored
    collector.on_line(0, agent::attempt_marker(2));
    collector.on_line(0, R"(choline-metrics: {"step": 10, "loss": 0.9})");
  }
  auto points = load_metrics(path);
  REQUIRE(points.size() == 2);
  CHECK(points[1].attempt == 2);
  CHECK(points[1].values["loss"] == 0.9);
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  CHECK(lines == 2);
}

TEST_CASE("Attempt markers round-trip and nothing else is one", "[agent]") {
  CHECK(agent::parse_attempt_marker(agent::attempt_marker(12)) == 12);
  CHECK_FALSE(agent::parse_attempt_marker("=== choline: attempt x ==="));
  CHECK_FALSE(agent::parse_attempt_marker("attempt 2"));
  CHECK_FALSE(agent::parse_attempt_marker("=== choline: attempt 99999999999 ==="));
}

#include <choline/records/run_files.hpp>

TEST_CASE("One attempt's part of a rank's log is cut out by its marker lines", "[run]") {
  const std::string log = agent::attempt_marker(1) + "\nfirst\n" + agent::attempt_marker(2) + "\nsecond\nmore\n" +
                          agent::attempt_marker(3) + "\nthird";
  CHECK(attempt_part(log, 2) == agent::attempt_marker(2) + "\nsecond\nmore\n");
  CHECK(attempt_part(log, 3) == agent::attempt_marker(3) + "\nthird");
  CHECK(attempt_part(log, 4).empty());
}
