#include <choline/agent/http_fetch.hpp>

#include <choline/util/json.hpp>

#include <cctype>

namespace choline::agent {

namespace {

// The Python fallback mirrors curl's exit codes (22 HTTP error, 7 connect, 18 partial, 3 bad
// URL), writes each response's status line to fd 3, and, like wget's --start-pos, drops the
// first `offset` bytes itself when a server ignores the Range header. Credentials are dropped
// on a redirect to another host, as curl does.
constexpr std::string_view k_python_program = R"PY(
import json, os, sys, urllib.error, urllib.parse, urllib.request
req = json.load(sys.stdin)
status = os.fdopen(3, "w")
class Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 10
    def redirect_request(self, r, fp, code, msg, headers, newurl):
        status.write("HTTP/1.1 %d\n" % code); status.flush()
        new = super().redirect_request(r, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(r.full_url).netloc:
            for name in list(new.headers):
                if name.lower() in ("authorization", "cookie"): del new.headers[name]
        return new
headers = dict(req["headers"])
offset = int(req["offset"])
if offset > 0: headers["Range"] = "bytes=%d-" % offset
try:
    opener = urllib.request.build_opener(Redirects)
    resp = opener.open(urllib.request.Request(req["url"], headers=headers), timeout=60)
except urllib.error.HTTPError as e:
    status.write("HTTP/1.1 %d\n" % e.code); status.flush(); sys.exit(22)
except ValueError as e:
    sys.stderr.write("bad URL: %s\n" % e); sys.exit(3)
except Exception as e:
    sys.stderr.write("%s\n" % e); sys.exit(7)
status.write("HTTP/1.1 %d\n" % resp.status); status.flush()
skip = offset if (offset > 0 and resp.status == 200) else 0
out = sys.stdout.buffer
try:
    while True:
        chunk = resp.read(1 << 20)
        if not chunk: break
        if skip:
            drop = min(skip, len(chunk)); chunk = chunk[drop:]; skip -= drop
        out.write(chunk)
    out.flush()
    # urllib ends quietly when a connection is cut before Content-Length: its count tells.
    if resp.length:
        sys.stderr.write("transfer cut with %d bytes missing\n" % resp.length); sys.exit(18)
except Exception as e:
    sys.stderr.write("transfer cut: %s\n" % e); sys.exit(18)
)PY";

bool is_retryable_status(int status) {
  return status == 408 || status == 425 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

std::string describe_status(int status) {
  switch (status) {
    case 401:
      return "HTTP 401 (unauthorized: check the credentials in \"headers\" and \"env\")";
    case 403:
      return "HTTP 403 (forbidden)";
    case 404:
      return "HTTP 404 (not found)";
    case 410:
      return "HTTP 410 (gone)";
    default:
      return "HTTP " + std::to_string(status);
  }
}

}  // namespace

const char* to_string(HttpTool tool) {
  switch (tool) {
    case HttpTool::curl:
      return "curl";
    case HttpTool::wget:
      return "wget";
    case HttpTool::python:
      return "python3";
  }
  return "?";
}

std::optional<HttpTool> http_tool_from(std::string_view name) {
  if (name == "curl") return HttpTool::curl;
  if (name == "wget") return HttpTool::wget;
  if (name == "python3" || name == "python") return HttpTool::python;
  return std::nullopt;
}

std::string curl_config_quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

ToolInvocation tool_invocation(HttpTool tool, const FetchRequest& request) {
  ToolInvocation run;
  switch (tool) {
    case HttpTool::curl: {
      run.argv = {"curl", "--config", "-"};
      std::string& config = run.stdin_text;
      config += "url = " + curl_config_quote(request.url) + "\n";
      config += "location\nmax-redirs = " + std::to_string(k_max_redirects) + "\n";
      // Neither the URL nor a redirect may lead to file:// or another protocol.
      config += "proto = \"=http,https\"\nproto-redir = \"=http,https\"\n";
      config += "fail\nsilent\nshow-error\n";
      config += "connect-timeout = " + std::to_string(k_connect_timeout_seconds) + "\n";
      config += "speed-limit = " + std::to_string(k_stall_bytes_per_second) + "\n";
      config += "speed-time = " + std::to_string(k_stall_seconds) + "\n";
      config += "dump-header = \"/dev/fd/3\"\n";
      if (request.offset > 0) config += "continue-at = " + std::to_string(request.offset) + "\n";
      for (const auto& [name, value] : request.headers)
        config += "header = " + curl_config_quote(name + ": " + value) + "\n";
      run.capture_fd3 = true;
      break;
    }
    case HttpTool::wget: {
      // The URL comes on stdin (-i -), the headers in a config read from fd 3.
      run.argv = {"wget",
                  "--quiet",
                  "--server-response",
                  "--output-document=-",
                  "--tries=1",
                  "--max-redirect=" + std::to_string(k_max_redirects),
                  "--timeout=" + std::to_string(k_stall_seconds),
                  "--input-file=-"};
      if (request.offset > 0) run.argv.push_back("--start-pos=" + std::to_string(request.offset));
      run.env["WGETRC"] = "/dev/fd/3";
      run.stdin_text = request.url + "\n";
      for (const auto& [name, value] : request.headers) run.fd3_text += "header = " + name + ": " + value + "\n";
      break;
    }
    case HttpTool::python: {
      run.argv = {"python3", "-c", std::string(k_python_program)};
      run.stdin_text =
          util::dump_json({{"url", request.url}, {"headers", request.headers}, {"offset", request.offset}});
      run.capture_fd3 = true;
      break;
    }
  }
  return run;
}

std::optional<int> final_http_status(std::string_view headers) {
  std::optional<int> status;
  std::size_t at = 0;
  while (at < headers.size()) {
    std::size_t end = headers.find('\n', at);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(at, end - at);
    at = end + 1;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.substr(0, 5) != "HTTP/") continue;
    const auto space = line.find(' ');
    if (space == std::string_view::npos || space + 4 > line.size()) continue;
    const std::string_view code = line.substr(space + 1, 3);
    if (std::isdigit(static_cast<unsigned char>(code[0])) && std::isdigit(static_cast<unsigned char>(code[1])) &&
        std::isdigit(static_cast<unsigned char>(code[2]))) {
      status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    }
  }
  return status;
}

FetchOutcome judge_fetch(HttpTool tool, int exit_code, std::optional<int> http_status, std::uint64_t offset) {
  if (exit_code == 127) return {FetchVerdict::missing_tool, std::string(to_string(tool)) + " is not installed"};
  // A 416 after a resume: nothing left to send, the file may be whole (the hash tells).
  if (http_status == 416 && offset > 0) return {FetchVerdict::complete, ""};
  if (http_status && *http_status >= 400) {
    if (is_retryable_status(*http_status)) return {FetchVerdict::retry, "HTTP " + std::to_string(*http_status)};
    return {FetchVerdict::fatal, describe_status(*http_status)};
  }
  if (exit_code == 0) return {FetchVerdict::complete, ""};
  if (tool == HttpTool::wget) {
    switch (exit_code) {
      case 4:
        return {FetchVerdict::retry, "network failure"};
      case 8:
        return {FetchVerdict::retry, "the server answered with an error"};
      case 5:
        return {FetchVerdict::fatal, "TLS verification failed"};
      default:
        return {FetchVerdict::fatal, "wget exited " + std::to_string(exit_code)};
    }
  }
  // curl's exit codes (the Python fallback uses the same few).
  switch (exit_code) {
    case 33:
      return {FetchVerdict::restart, "the server cannot resume a download"};
    case 6:
      return {FetchVerdict::retry, "cannot resolve the host name"};
    case 7:
      return {FetchVerdict::retry, "cannot connect"};
    case 18:
      return {FetchVerdict::retry, "the connection was cut mid-file"};
    case 28:
      return {FetchVerdict::retry, "the transfer stalled or timed out"};
    case 16:
    case 35:
    case 52:
    case 55:
    case 56:
    case 92:
      return {FetchVerdict::retry, "the connection failed"};
    case 1:
      return {FetchVerdict::fatal, "the URL's protocol is not supported"};
    case 3:
      return {FetchVerdict::fatal, "the URL is malformed"};
    case 47:
      return {FetchVerdict::fatal, "too many redirects"};
    case 60:
      return {FetchVerdict::fatal, "the server's TLS certificate was refused"};
    case 22:
      return {FetchVerdict::fatal, "the server answered with an error"};
    default:
      return {FetchVerdict::fatal, std::string(to_string(tool)) + " exited " + std::to_string(exit_code)};
  }
}

std::string_view python_fetch_program() {
  return k_python_program;
}

}  // namespace choline::agent
