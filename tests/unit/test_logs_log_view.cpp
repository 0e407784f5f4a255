#include <choline/agent/job.hpp>
#include <choline/logs/log_view.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::logs;

TEST_CASE("render_log_line: plain prefix without colour, a stable colour per rank with it", "[run][logs]") {
  CHECK(render_log_line(1, 3, "epoch 0 done", false) == "[1/3] epoch 0 done");
  CHECK(render_log_line(0, 0, "[stderr] Traceback", false) == "[0/0] [stderr] Traceback");
  CHECK(render_log_line(0, 2, "hi", true) == "\033[33m[0/2]\033[0m hi");
  CHECK(render_log_line(0, 2, "hi", true) == render_log_line(0, 2, "hi", true));
  CHECK(render_log_line(0, 0, "[stderr] boom", true) == "\033[36m[0/0]\033[0m \033[31m[stderr]\033[0m boom");
  for (int rank = 0; rank < 40; ++rank) CHECK(rank_color(rank) != "31");  // red is stderr's
  CHECK(rank_color(0) != rank_color(1));
  CHECK(rank_color(3) == rank_color(13));  // the palette repeats, it does not shift
}

TEST_CASE("strip_stderr_marker", "[run][logs]") {
  CHECK(strip_stderr_marker("[stderr] choline-metrics: {}") ==
        std::pair<std::string_view, bool>{"choline-metrics: {}", true});
  CHECK(strip_stderr_marker("plain") == std::pair<std::string_view, bool>{"plain", false});
  CHECK(strip_stderr_marker("[stderr]") == std::pair<std::string_view, bool>{"[stderr]", false});
}

TEST_CASE("parse_since takes whole numbers with units, alone or combined", "[run][logs]") {
  CHECK(parse_since("90s") == std::chrono::seconds(90));
  CHECK(parse_since("10m") == std::chrono::seconds(600));
  CHECK(parse_since("2h") == std::chrono::seconds(7200));
  CHECK(parse_since("1d") == std::chrono::seconds(86400));
  CHECK(parse_since("1h30m") == std::chrono::seconds(5400));
  CHECK_FALSE(parse_since(""));
  CHECK_FALSE(parse_since("10"));  // a unit is required
  CHECK_FALSE(parse_since("m"));
  CHECK_FALSE(parse_since("10x"));
  CHECK_FALSE(parse_since("-5m"));
  CHECK_FALSE(parse_since("1.5h"));
  CHECK_FALSE(parse_since("0s"));
  CHECK_FALSE(parse_since("99999999999999999999d"));
  CHECK_FALSE(parse_since("10m "));
}

TEST_CASE("arrival_at finds the record at or before an offset", "[run][logs]") {
  const std::vector<std::pair<std::uint64_t, std::int64_t>> records = {{10, 100}, {50, 160}, {90, 200}};
  CHECK_FALSE(arrival_at(records, 0));  // held before arrival times were kept
  CHECK(arrival_at(records, 10) == 100);
  CHECK(arrival_at(records, 49) == 100);
  CHECK(arrival_at(records, 50) == 160);
  CHECK(arrival_at(records, 1000) == 200);
  CHECK_FALSE(arrival_at({}, 5));
}

TEST_CASE("LogFilter: criteria combine", "[run][logs]") {
  LogQuery query;
  query.ranks = {1};
  query.grep = "loss";
  auto filter = LogFilter::make(query, 1000);
  REQUIRE(filter.ok());
  CHECK(filter->keep(0, 1, "step 3 loss 0.5", std::nullopt));
  CHECK_FALSE(filter->keep(0, 0, "step 3 loss 0.5", std::nullopt));
  CHECK_FALSE(filter->keep(0, 1, "step 3 acc 0.9", std::nullopt));

  LogQuery by_node;
  by_node.nodes = {1};
  auto nodes = LogFilter::make(by_node, 1000);
  REQUIRE(nodes.ok());
  CHECK(nodes->keep(1, 2, "x", std::nullopt));
  CHECK_FALSE(nodes->keep(0, 1, "x", std::nullopt));
}

TEST_CASE("LogFilter: --attempt follows each rank's markers", "[run][logs]") {
  LogQuery query;
  query.attempt = 2;
  auto filter = LogFilter::make(query, 1000);
  REQUIRE(filter.ok());
  CHECK_FALSE(filter->keep(0, 0, agent::attempt_marker(1), std::nullopt));
  CHECK_FALSE(filter->keep(0, 0, "first", std::nullopt));
  CHECK(filter->keep(0, 1, agent::attempt_marker(2), std::nullopt));  // each rank has its own marker
  CHECK(filter->keep(0, 0, agent::attempt_marker(2), std::nullopt));
  CHECK(filter->keep(0, 0, "second", std::nullopt));
  CHECK(filter->keep(0, 1, "rank 1 in the second", std::nullopt));
  CHECK_FALSE(filter->keep(0, 0, agent::attempt_marker(3), std::nullopt));
  CHECK_FALSE(filter->keep(0, 0, "third", std::nullopt));
}

TEST_CASE("LogFilter: --since keeps lines that arrived recently, never lines of unknown age", "[run][logs]") {
  LogQuery query;
  query.since = std::chrono::seconds(600);
  auto filter = LogFilter::make(query, 10'000);
  REQUIRE(filter.ok());
  CHECK(filter->keep(0, 0, "new", 9'900));
  CHECK(filter->keep(0, 0, "edge", 9'400));
  CHECK_FALSE(filter->keep(0, 0, "old", 9'399));
  CHECK_FALSE(filter->keep(0, 0, "unknown", std::nullopt));
}

TEST_CASE("LogFilter: a bad regular expression is a usage error saying the accepted form", "[run][logs]") {
  LogQuery query;
  query.grep = "loss(";
  auto filter = LogFilter::make(query, 0);
  REQUIRE_FALSE(filter.ok());
  CHECK(filter.error().kind == ErrorKind::usage);
  CHECK_THAT(filter.error().message, Catch::Contains("--grep 'loss('") && Catch::Contains("ECMAScript"));
}

TEST_CASE("is_metrics_line: the prefix and a JSON object, nothing else", "[run][logs]") {
  CHECK(is_metrics_line("choline-metrics: {\"step\": 1}"));
  CHECK(is_metrics_line("choline-metrics: {\"step\": 1, \"acc\": {\"top1\": 0.5}}\r"));
  CHECK(is_metrics_line("[stderr] choline-metrics: {}"));
  CHECK_FALSE(is_metrics_line("choline-metrics: {\"step\": "));  // the script's own words
  CHECK_FALSE(is_metrics_line("choline-metrics: [1, 2]"));
  CHECK_FALSE(is_metrics_line("choline-metrics:{\"step\": 1}"));
  CHECK_FALSE(is_metrics_line("loss 0.3 choline-metrics: {}"));
  CHECK_FALSE(is_metrics_line("choline-metrics: {\"pad\": \"" + std::string(20000, 'x') + "\"}"));
}
