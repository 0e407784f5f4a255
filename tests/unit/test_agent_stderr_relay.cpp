#include <choline/agent/stderr_relay.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace choline::agent;

TEST_CASE("StderrMarker gives complete lines at once and holds a partial one", "[agent]") {
  StderrMarker marker;
  CHECK(marker.complete_lines("Traceback\n  File") == "[stderr] Traceback\n");
  CHECK(marker.pending_bytes() == 6);
  CHECK(marker.complete_lines(" x.py\n") == "[stderr]   File x.py\n");  // one line, marked once
  CHECK(marker.complete_lines("\n") == "[stderr] \n");
  CHECK(marker.complete_lines("") == "");
  CHECK(marker.partial() == "");
  // A line that never ends (a progress bar) is written as it is when asked, and its rest later
  // is not marked again.
  CHECK(marker.complete_lines("45%") == "");
  CHECK(marker.partial() == "[stderr] 45%");
  CHECK(marker.complete_lines("\r90%\nnext\n") == "\r90%\n[stderr] next\n");
}

TEST_CASE("StderrRelay copies marked lines into the log and stops when the pipe closes", "[agent]") {
  char path[] = "/tmp/choline-relay-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const int log = ::open(path, O_WRONLY | O_APPEND);
  REQUIRE(log >= 0);
  {
    StderrRelay relay;
    relay.add(pipe_fds[0], log);
    relay.start();
    const std::string text = "first\nsecond\nno newline";
    REQUIRE(::write(pipe_fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(pipe_fds[1]);
    relay.finish(std::chrono::seconds(30));  // returns at EOF, long before the grace period
  }
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  CHECK(content.str() == "[stderr] first\n[stderr] second\n[stderr] no newline");
  std::remove(path);
}
