#include <choline/agent/download.hpp>
#include <choline/agent/http_fetch.hpp>
#include <choline/util/sha256.hpp>

#include "sync_fixtures.hpp"

using namespace choline;
using namespace choline::agent;
using namespace choline::testing;

namespace {

// A stand-in for curl: a shell script that serves `file` from the requested offset the way a
// server would in `mode`, with curl's exit codes, and the status line on fd 3.
struct FakeServer {
  TempDir dir;
  fs::path file = dir.path / "served.bin";
  fs::path marker = dir.path / "cut-once";
  std::vector<std::uint64_t> offsets;  // of every attempt

  DownloadOptions options(const std::string& mode) {
    DownloadOptions options;
    options.tools = {HttpTool::curl};
    options.backoff_first = std::chrono::milliseconds(1);
    options.invocation = [this, mode](HttpTool, const FetchRequest& request) {
      offsets.push_back(request.offset);
      const std::string script = R"(
        file="$1"; offset="$2"; mode="$3"; marker="$4"; url="$5"; size=$(stat -c %s "$file")
        if [ "$mode" = leak ]; then echo "cannot fetch $url" >&2; exit 3; fi
        if [ "$mode" = 404 ]; then echo "HTTP/1.1 404 Not Found" >&3; exit 22; fi
        if [ "$mode" = norange ] && [ "$offset" -gt 0 ]; then echo "HTTP/1.1 200 OK" >&3; exit 33; fi
        if [ "$mode" = always-cut ]; then echo "HTTP/1.1 200 OK" >&3; exit 18; fi
        echo "HTTP/1.1 206 Partial Content" >&3
        if [ "$mode" = cut-once ] && [ ! -e "$marker" ]; then
          touch "$marker"; tail -c +$((offset + 1)) "$file" | head -c $(( (size - offset) / 2 )); exit 18
        fi
        tail -c +$((offset + 1)) "$file"
      )";
      ToolInvocation run;
      run.argv = {"sh",       "-c", script, "sh", file.string(), std::to_string(request.offset), mode, marker.string(),
                  request.url};
      run.capture_fd3 = true;
      return run;
    };
    return options;
  }
};

}  // namespace

TEST_CASE("A cut download resumes from what arrived and passes its hash check", "[agent][data]") {
  FakeServer server;
  const std::string content = random_bytes(300'000, 7);
  write_file(server.file, content);
  const DownloadRequest request{
      "https://example.org/f.bin", {}, util::sha256_hex(content), "https://example.org/f.bin"};
  std::vector<std::string> retries;
  auto options = server.options("cut-once");
  options.on_retry = [&](int attempt, const std::string& why) {
    retries.push_back(std::to_string(attempt) + " " + why);
  };
  auto result = download_file(request, server.dir.path / "out.part", options);
  INFO((result ? "" : result.error().message));
  REQUIRE(result.ok());
  CHECK(result->attempts == 2);
  CHECK(result->bytes == 300'000);
  CHECK(read_file(server.dir.path / "out.part") == content);
  // The second attempt asked for the rest only.
  CHECK(server.offsets == std::vector<std::uint64_t>{0, 150'000});
  REQUIRE(retries.size() == 1);
  CHECK_THAT(retries[0], Catch::Contains("cut mid-file"));
}

TEST_CASE("A download whose sha256 differs fails and says both hashes", "[agent][data]") {
  FakeServer server;
  write_file(server.file, "not the data you wanted\n");
  const std::string expected = std::string(64, 'a');
  auto result = download_file({"https://x.org/f", {}, expected, "https://x.org/f"}, server.dir.path / "out",
                              server.options("ok"));
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.error().message,
             Catch::Contains("its sha256 is " + util::sha256_hex("not the data you wanted\n")) &&
                 Catch::Contains("the entry says " + expected));
  CHECK(server.offsets.size() == 1);  // a whole download that does not match is not retried
}

TEST_CASE("A 404 is not retried and is named", "[agent][data]") {
  FakeServer server;
  write_file(server.file, "x");
  auto result = download_file({"https://x.org/f", {}, util::sha256_hex("x"), "https://x.org/f"},
                              server.dir.path / "out", server.options("404"));
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.error().message, Catch::Contains("HTTP 404 (not found)"));
  CHECK(server.offsets.size() == 1);
}

TEST_CASE("A server that cannot resume makes the download start over", "[agent][data]") {
  FakeServer server;
  const std::string content = random_bytes(10'000, 3);
  write_file(server.file, content);
  write_file(server.dir.path / "out", content.substr(0, 4000));  // a part from an earlier attempt
  auto result = download_file({"https://x.org/f", {}, util::sha256_hex(content), "https://x.org/f"},
                              server.dir.path / "out", server.options("norange"));
  REQUIRE(result.ok());
  CHECK(server.offsets == std::vector<std::uint64_t>{4000, 0});
  CHECK(read_file(server.dir.path / "out") == content);
}

TEST_CASE("A download that keeps failing gives up after the bounded attempts", "[agent][data]") {
  FakeServer server;
  write_file(server.file, "x");
  auto result = download_file({"https://x.org/f", {}, util::sha256_hex("x"), "https://x.org/f"},
                              server.dir.path / "out", server.options("always-cut"));
  REQUIRE_FALSE(result.ok());
  CHECK(server.offsets.size() == static_cast<std::size_t>(k_download_attempts));
  CHECK_THAT(result.error().message, Catch::Contains("gave up after 5 attempts"));
}

TEST_CASE("A download larger than the room it has stops with a full-disk error", "[agent][data]") {
  FakeServer server;
  const std::string content = random_bytes(100'000, 5);
  write_file(server.file, content);
  auto options = server.options("ok");
  options.max_bytes = 50'000;
  auto result = download_file({"https://x.org/f", {}, util::sha256_hex(content), "https://x.org/f"},
                              server.dir.path / "out", options);
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.error().message, Catch::Contains("the disk is full"));
}

TEST_CASE("A tool's error message never carries the expanded URL", "[agent][data]") {
  FakeServer server;
  write_file(server.file, "x");
  auto result =
      download_file({"https://x.org/f?token=SECRET", {}, util::sha256_hex("x"), "https://x.org/f?token=${TOKEN}"},
                    server.dir.path / "out", server.options("leak"));
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.error().message, Catch::Contains("cannot fetch https://x.org/f?token=${TOKEN}"));
  CHECK_THAT(result.error().message, !Catch::Contains("SECRET"));
}

TEST_CASE("Download backoff doubles and is capped", "[agent][data]") {
  using std::chrono::milliseconds;
  CHECK(download_backoff(2) == milliseconds(1000));
  CHECK(download_backoff(3) == milliseconds(2000));
  CHECK(download_backoff(4) == milliseconds(4000));
  CHECK(download_backoff(20) == k_download_backoff_max);
}

TEST_CASE("No credential reaches a download tool's command line", "[agent][data]") {
  const FetchRequest request{"https://x.org/f?token=SECRET1", {{"Authorization", "Bearer SECRET2"}}, 100};
  for (HttpTool tool : {HttpTool::curl, HttpTool::wget, HttpTool::python}) {
    INFO(to_string(tool));
    const ToolInvocation run = tool_invocation(tool, request);
    for (const auto& arg : run.argv) {
      CHECK(arg.find("SECRET") == std::string::npos);
    }
    for (const auto& [name, value] : run.env) CHECK(value.find("SECRET") == std::string::npos);
    const std::string given = run.stdin_text + run.fd3_text;
    CHECK(given.find("SECRET1") != std::string::npos);
    CHECK(given.find("SECRET2") != std::string::npos);
  }
  const ToolInvocation curl = tool_invocation(HttpTool::curl, request);
  CHECK_THAT(curl.stdin_text, Catch::Contains("continue-at = 100\n") &&
                                  Catch::Contains("header = \"Authorization: Bearer SECRET2\"") &&
                                  Catch::Contains("location\n") && Catch::Contains("proto-redir = \"=http,https\""));
  const ToolInvocation wget = tool_invocation(HttpTool::wget, request);
  CHECK(std::find(wget.argv.begin(), wget.argv.end(), "--start-pos=100") != wget.argv.end());
}

TEST_CASE("curl config values are quoted", "[agent][data]") {
  CHECK(curl_config_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(curl_config_quote("x\ny") == "\"x\\ny\"");
}

TEST_CASE("The final HTTP status is the last response's", "[agent][data]") {
  CHECK(final_http_status("HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\nHTTP/2 200\r\n") == 200);
  CHECK(final_http_status("  HTTP/1.1 302 Found\n  HTTP/1.1 404 Not Found\n") == 404);
  CHECK_FALSE(final_http_status("no status here"));
}

TEST_CASE("Fetch outcomes: what is retried, restarted, or final", "[agent][data]") {
  CHECK(judge_fetch(HttpTool::curl, 0, 200, 0).verdict == FetchVerdict::complete);
  CHECK(judge_fetch(HttpTool::curl, 18, 206, 10).verdict == FetchVerdict::retry);
  CHECK(judge_fetch(HttpTool::curl, 56, std::nullopt, 0).verdict == FetchVerdict::retry);
  CHECK(judge_fetch(HttpTool::curl, 33, 200, 10).verdict == FetchVerdict::restart);
  CHECK(judge_fetch(HttpTool::curl, 22, 503, 0).verdict == FetchVerdict::retry);
  CHECK(judge_fetch(HttpTool::curl, 22, 404, 0).verdict == FetchVerdict::fatal);
  CHECK(judge_fetch(HttpTool::curl, 22, 401, 0).why.find("credentials") != std::string::npos);
  CHECK(judge_fetch(HttpTool::curl, 22, 416, 500).verdict == FetchVerdict::complete);
  CHECK(judge_fetch(HttpTool::curl, 127, std::nullopt, 0).verdict == FetchVerdict::missing_tool);
  CHECK(judge_fetch(HttpTool::wget, 4, std::nullopt, 0).verdict == FetchVerdict::retry);
  CHECK(judge_fetch(HttpTool::wget, 8, 404, 0).verdict == FetchVerdict::fatal);
  CHECK(judge_fetch(HttpTool::curl, 60, std::nullopt, 0).verdict == FetchVerdict::fatal);
}
