#pragma once
// A URL download on a host, as the agent does it for a url data entry: the body goes to a file
// it owns, a cut transfer resumes from what arrived (bounded retries with backoff), and the
// whole file must match the SHA-256 the user wrote down. The transfer itself is a child tool
// (agent/http_fetch.hpp).

#include <choline/agent/http_fetch.hpp>
#include <choline/error.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace choline::agent {

// Runs of a tool one download may take, counting the first, and the waits between them
// (doubling from the first, capped).
inline constexpr int k_download_attempts = 5;
inline constexpr std::chrono::milliseconds k_download_backoff_first{1000};
inline constexpr std::chrono::milliseconds k_download_backoff_max{30000};

// The wait before attempt `attempt` (2, 3, ...).
std::chrono::milliseconds download_backoff(int attempt, std::chrono::milliseconds first = k_download_backoff_first);

struct DownloadRequest {
  std::string url;                             // expanded: may hold credentials
  std::map<std::string, std::string> headers;  // expanded: may hold credentials
  std::string sha256;                          // expected, lowercase hex
  std::string shown;                           // the url for messages, as written (credentials as ${NAME})
};

struct DownloadOptions {
  std::vector<HttpTool> tools = {HttpTool::curl, HttpTool::wget, HttpTool::python};
  int attempts = k_download_attempts;
  std::chrono::milliseconds backoff_first = k_download_backoff_first;
  std::uint64_t max_bytes = ~std::uint64_t{0};  // the file may not grow past this (disk room)
  // Hears the bytes held so far, the attempt, and a line when a retry starts.
  std::function<void(std::uint64_t bytes, int attempt)> on_progress;
  std::function<void(int attempt, const std::string& why)> on_retry;
  // What runs for one attempt; unset: the real tool (tool_invocation). Tests put a stand-in here.
  std::function<ToolInvocation(HttpTool, const FetchRequest&)> invocation;
};

struct DownloadResult {
  std::uint64_t bytes = 0;
  int attempts = 0;
  HttpTool tool = HttpTool::curl;
};

// Downloads into `file` (created; bytes already there are resumed from) and checks its SHA-256.
// On failure the file may hold a part: the caller removes it. Errors say what went wrong in
// words for the user ("HTTP 404 (not found)", "sha256 is X, expected Y").
Result<DownloadResult> download_file(const DownloadRequest& request, const std::filesystem::path& file,
                                     const DownloadOptions& options);

// The tools from the CHOLINE_DOWNLOADER variable ("curl", "wget" or "python3"; for tests and
// hosts where one tool misbehaves), else all three in order.
std::vector<HttpTool> download_tools_from_env();

}  // namespace choline::agent
