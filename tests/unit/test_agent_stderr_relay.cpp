#include <choline/agent/stderr_relay.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace choline::agent;

TEST_CASE("StderrMarker marks every line start, across chunk boundaries", "[agent]") {
  StderrMarker marker;
  CHECK(marker.mark("Traceback\n  File") == "[stderr] Traceback\n[stderr]   File");
  CHECK(marker.mark(" x.py\n") == " x.py\n");
  CHECK(marker.mark("\n") == "[stderr] \n");
  CHECK(marker.mark("") == "");
  CHECK(marker.mark("warn") == "[stderr] warn");
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
    const std::string text = "first\nsecond\n";
    REQUIRE(::write(pipe_fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(pipe_fds[1]);
    relay.finish(std::chrono::seconds(30));  // returns at EOF, long before the grace period
  }
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  CHECK(content.str() == "[stderr] first\n[stderr] second\n");
  std::remove(path);
}
