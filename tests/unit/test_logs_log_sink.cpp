#include <choline/logs/log_sink.hpp>

#include "sync_fixtures.hpp"

#include <sstream>

using namespace choline;
using namespace choline::logs;
using namespace choline::testing;

TEST_CASE("The log sink keeps every byte once across overlapping re-sends", "[run]") {
  TempDir dir;
  std::ostringstream echo;
  LogSink sink(dir.path, &echo, 2);
  REQUIRE(sink.append(3, 0, "line one\nline tw").ok());
  REQUIRE(sink.append(3, 9, "line two\nline three\n").ok());  // a reconnect re-sends from an older offset
  REQUIRE(sink.append(3, 0, "line one\n").ok());              // entirely old: dropped
  CHECK(read_file(sink.file_for(3)) == "line one\nline two\nline three\n");
  CHECK(echo.str() == "[1/3] line one\n[1/3] line two\n[1/3] line three\n");
  CHECK(sink.offsets() == std::map<int, std::uint64_t>{{3, 29}});
}

TEST_CASE("A gap in a log stream is an error", "[run]") {
  TempDir dir;
  LogSink sink(dir.path, nullptr, 1);
  auto gap = sink.append(0, 100, "x");
  REQUIRE_FALSE(gap.ok());
  CHECK(gap.error().kind == ErrorKind::protocol);
}

TEST_CASE("Partial last lines are printed when flushed", "[run]") {
  TempDir dir;
  std::ostringstream echo;
  LogSink sink(dir.path, &echo, 1);
  REQUIRE(sink.append(0, 0, "no newline").ok());
  CHECK(echo.str().empty());
  sink.flush_partial_lines();
  CHECK(echo.str() == "[0/0] no newline\n");
}

TEST_CASE("The log sink notes when bytes arrived, at most once a second per rank", "[run][logs]") {
  TempDir dir;
  LogSink sink(dir.path, nullptr, 1);
  std::int64_t now = 1000;
  sink.set_wall_clock([&] { return now; });
  REQUIRE(sink.append(0, 0, "a\n").ok());
  REQUIRE(sink.append(0, 2, "b\n").ok());  // the same second: no new record
  now = 1005;
  REQUIRE(sink.append(0, 4, "c\n").ok());
  REQUIRE(sink.append(0, 0, "a\n").ok());  // old bytes again: nothing arrived
  using Records = std::vector<std::pair<std::uint64_t, std::int64_t>>;
  CHECK(sink.arrivals(0) == Records{{0, 1000}, {4, 1005}});
  // The arrivals sit beside the logs without looking like a rank's log.
  CHECK(sink.offsets() == std::map<int, std::uint64_t>{{0, 6}});
}

TEST_CASE("The echo filter sees each line's arrival, the line hook sees stderr lines unmarked", "[run][logs]") {
  TempDir dir;
  std::int64_t now = 1000;
  {
    LogSink writer(dir.path, nullptr, 1);
    writer.set_wall_clock([&] { return now; });
    REQUIRE(writer.append(0, 0, "old line\n").ok());
    now = 2000;
    REQUIRE(writer.append(0, 9, "[stderr] choline-metrics: {\"step\": 1}\nnew line\n").ok());
  }
  std::ostringstream echo;
  LogSink reader(dir.path, &echo, 1);
  reader.set_show_metrics(true);
  std::vector<std::pair<std::string, std::optional<std::int64_t>>> seen;
  std::vector<std::string> hooked;
  reader.set_echo_filter([&](int, int, std::string_view line, std::optional<std::int64_t> arrived) {
    seen.emplace_back(std::string(line), arrived);
    return arrived && *arrived >= 1500;
  });
  reader.set_line_hook([&](int, std::string_view line) { hooked.emplace_back(line); });
  reader.echo_held();
  CHECK(seen == std::vector<std::pair<std::string, std::optional<std::int64_t>>>{
                    {"old line", 1000}, {"[stderr] choline-metrics: {\"step\": 1}", 2000}, {"new line", 2000}});
  CHECK(echo.str() == "[0/0] [stderr] choline-metrics: {\"step\": 1}\n[0/0] new line\n");
  CHECK(hooked == std::vector<std::string>{"old line", "choline-metrics: {\"step\": 1}", "new line"});
}

TEST_CASE("Metrics lines stay out of the echo unless asked for, and the line hook and files keep them", "[run][logs]") {
  TempDir dir;
  const std::string lines =
      "epoch 1\n"
      "choline-metrics: {\"step\": 20, \"loss\": 1.3552786111831665}\n"
      "[stderr] choline-metrics: {\"step\": 21}\n"
      "choline-metrics: {not json\n"
      "choline-metrics: 42\n"
      "done\n";
  std::ostringstream hidden;
  std::vector<std::string> hooked;
  {
    LogSink sink(dir.path, &hidden, 1);
    sink.set_line_hook([&](int, std::string_view line) { hooked.emplace_back(line); });
    REQUIRE(sink.append(0, 0, lines).ok());
  }
  CHECK(hidden.str() == "[0/0] epoch 1\n[0/0] choline-metrics: {not json\n[0/0] choline-metrics: 42\n[0/0] done\n");
  CHECK(hooked.size() == 6);
  CHECK(read_file(dir.path / "rank-0.log") == lines);

  std::ostringstream shown;
  LogSink reader(dir.path, &shown, 1);
  reader.set_show_metrics(true);
  reader.echo_held();
  CHECK(shown.str().find("[0/0] choline-metrics: {\"step\": 20") != std::string::npos);
  CHECK(shown.str().find("[0/0] [stderr] choline-metrics: {\"step\": 21}") != std::string::npos);
}
