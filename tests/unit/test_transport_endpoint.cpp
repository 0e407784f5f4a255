#include <choline/transport/endpoint.hpp>
#include <choline/transport/transport.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::transport;

TEST_CASE("Local paths stay local", "[transport]") {
  for (const char* text : {"/tmp/x", "relative/dir", "./a:b", ".", "/a:b"}) {
    INFO(text);
    auto endpoint = parse_endpoint(text);
    REQUIRE(endpoint.ok());
    CHECK_FALSE(endpoint->remote);
    CHECK(endpoint->path == text);
  }
}

TEST_CASE("Remote endpoints parse user, host, port and path", "[transport]") {
  CHECK(parse_endpoint("host:/work").value() == Endpoint{SshAddress{"", "host", 22}, "/work"});
  CHECK(parse_endpoint("root@1.2.3.4:2222:/work").value() == Endpoint{SshAddress{"root", "1.2.3.4", 2222}, "/work"});
  CHECK(parse_endpoint("ubuntu@gpu-7:data").value() == Endpoint{SshAddress{"ubuntu", "gpu-7", 22}, "data"});
  CHECK(parse_endpoint("[::1]:2200:/w").value() == Endpoint{SshAddress{"", "::1", 2200}, "/w"});
  CHECK(parse_endpoint("me@[::1]:/w").value() == Endpoint{SshAddress{"me", "::1", 22}, "/w"});
}

TEST_CASE("Malformed remote endpoints are usage errors", "[transport]") {
  for (const char* text : {":/x", "host:", "host:99999:/x", "host:0:/x", "[::1/x", "u@:/x"}) {
    INFO(text);
    auto endpoint = parse_endpoint(text);
    REQUIRE_FALSE(endpoint.ok());
    CHECK(endpoint.error().kind == ErrorKind::usage);
  }
}

TEST_CASE("Shell quoting survives hostile words", "[transport]") {
  CHECK(shell_quote("plain/path-1.txt") == "plain/path-1.txt");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
  CHECK(shell_join({"echo", "$(rm -rf /)", ";x"}) == "echo '$(rm -rf /)' ';x'");
}
