#include <choline/run/log_sink.hpp>

#include "sync_fixtures.hpp"

#include <sstream>

using namespace choline;
using namespace choline::run;
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
