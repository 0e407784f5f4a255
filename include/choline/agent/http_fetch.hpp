#pragma once
// How the agent fetches a URL on a host. The static agent links no HTTP library: the transfer
// itself is the host's own curl (else wget, else python3's urllib), run as a child whose
// response body the agent reads from a pipe. Everything else is the agent's (agent/download.hpp):
// the file, resuming, retries, the hash check. Credentials (URL, headers) reach the tool only on
// its stdin or a pipe, never its command line (which `ps` shows) or the disk. Pure.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::agent {

enum class HttpTool { curl, wget, python };
const char* to_string(HttpTool tool);
std::optional<HttpTool> http_tool_from(std::string_view name);

// Redirects a transfer follows before it fails.
inline constexpr int k_max_redirects = 10;
// A transfer slower than this many bytes per second for k_stall_seconds is given up (and
// retried): a stalled connection would otherwise hold the run's preparation forever.
inline constexpr int k_stall_bytes_per_second = 1024;
inline constexpr int k_stall_seconds = 60;
inline constexpr int k_connect_timeout_seconds = 30;

struct FetchRequest {
  std::string url;                             // may hold a credential (a signed query)
  std::map<std::string, std::string> headers;  // may hold credentials
  std::uint64_t offset = 0;                    // resume from this byte
};

// One run of a tool: its argv, what goes to its stdin, and what its file descriptor 3 holds (an
// anonymous memory file with `fd3_text`: wget reads its config there) or, when `capture_fd3`,
// what it writes there (curl and the Python fallback write the response headers there).
struct ToolInvocation {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added to the agent's environment
  std::string stdin_text;
  std::string fd3_text;
  bool capture_fd3 = false;
};
ToolInvocation tool_invocation(HttpTool tool, const FetchRequest& request);

// A value for curl's config file: double-quoted, with \ and " escaped (and control characters,
// which a header cannot hold anyway).
std::string curl_config_quote(std::string_view value);

// The status of the last response in `headers` (lines like "HTTP/1.1 404 Not Found", possibly
// indented as wget prints them); std::nullopt if there is none.
std::optional<int> final_http_status(std::string_view headers);

// What the loop does after one run of a tool.
enum class FetchVerdict {
  complete,     // the body is whole (the hash check decides the rest)
  retry,        // a passing failure: try again from what has arrived
  restart,      // the server cannot resume: try again from byte 0
  fatal,        // retrying cannot help (a 404, a bad URL, a refused certificate)
  missing_tool  // the tool is not on this host: try the next one
};
struct FetchOutcome {
  FetchVerdict verdict = FetchVerdict::fatal;
  std::string why;  // for messages: "HTTP 404", "connection cut", ...
};
// Judges a run from the tool's exit code and the last HTTP status it saw. `offset` is where the
// run started (a 416 after a resume means the file was complete already).
FetchOutcome judge_fetch(HttpTool tool, int exit_code, std::optional<int> http_status, std::uint64_t offset);

// The Python fallback's program (run as python3 -c), reading {"url", "headers", "offset"} as JSON
// on stdin.
std::string_view python_fetch_program();

}  // namespace choline::agent
