#include <choline/agent/download.hpp>

#include <choline/transport/transport.hpp>
#include <choline/util/hash.hpp>
#include <choline/util/sha256.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

extern char** environ;

namespace choline::agent {

namespace {

constexpr std::size_t k_keep_text = 16 * 1024;  // of a tool's stderr and headers

struct ToolRun {
  int exit_code = -1;
  std::string stderr_text;
  std::string headers;              // fd 3 (curl, python) or stderr (wget)
  std::optional<Error> body_error;  // writing the body failed (disk full, too large)
};

void keep_tail(std::string& text, const char* data, std::size_t size) {
  text.append(data, size);
  if (text.size() > 2 * k_keep_text) text.erase(0, text.size() - k_keep_text);
}

// Runs one invocation, handing the body (stdout) to `on_body`. If on_body fails the tool is
// killed and the error returned in body_error.
Result<ToolRun> run_tool(const ToolInvocation& invocation, const std::function<Status(std::string_view)>& on_body) {
  const bool feed_fd3 = !invocation.capture_fd3;
  int in[2], out[2], err[2], extra[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    return make_error(ErrorKind::io, std::string("pipe: ") + std::strerror(errno));
  }
  if (feed_fd3) {
    // wget reads its config only from a regular file: an anonymous memory file is one, and
    // never on a disk (the config holds the credentials).
    extra[0] = ::memfd_create("choline-fetch-config", MFD_CLOEXEC);
    extra[1] = -1;
    if (extra[0] < 0) return make_error(ErrorKind::io, std::string("memfd_create: ") + std::strerror(errno));
    const std::string& text = invocation.fd3_text;
    for (std::size_t done = 0; done < text.size();) {
      const ssize_t n = ::write(extra[0], text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return make_error(ErrorKind::io, std::string("writing the fetch config: ") + std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
    ::lseek(extra[0], 0, SEEK_SET);
  } else if (::pipe2(extra, O_CLOEXEC) != 0) {
    return make_error(ErrorKind::io, std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (!invocation.env.count(name)) env_strings.push_back(entry);
  }
  for (const auto& [name, value] : invocation.env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp, argv;
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = invocation.argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return make_error(ErrorKind::io, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // dup2 onto itself would keep close-on-exec: clear it there instead.
    const auto place = [](int from, int to) {
      if (from == to)
        ::fcntl(to, F_SETFD, 0);
      else
        ::dup2(from, to);
    };
    place(in[0], 0);
    place(out[1], 1);
    place(err[1], 2);
    place(feed_fd3 ? extra[0] : extra[1], 3);
    ::signal(SIGPIPE, SIG_DFL);
    ::execvpe(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ::close(feed_fd3 ? extra[0] : extra[1]);
  // The input is small (a config, a URL): written whole before reading, well under a pipe's
  // buffer. A tool that died early makes the write fail (EPIPE), which its exit code explains.
  const auto feed = [](int fd, const std::string& text) {
    for (std::size_t done = 0; done < text.size();) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  };
  ::signal(SIGPIPE, SIG_IGN);
  feed(in[1], invocation.stdin_text);

  ToolRun run;
  std::vector<pollfd> fds = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  if (!feed_fd3) fds.push_back({extra[0], POLLIN, 0});
  std::string buffer(1 << 18, '\0');
  std::size_t open = fds.size();
  while (open > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
        continue;
      }
      const std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
      if (i == 0) {
        if (!run.body_error) {
          if (auto ok = on_body(chunk); !ok) {
            run.body_error = ok.error();
            ::kill(pid, SIGKILL);
          }
        }
      } else if (i == 1) {
        keep_tail(run.stderr_text, chunk.data(), chunk.size());
      } else {
        keep_tail(run.headers, chunk.data(), chunk.size());
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (!invocation.capture_fd3) run.headers = run.stderr_text;  // wget's --server-response prints there
  return run;
}

// The file's current size and the SHA-256 state over it, for a resumed attempt.
Status hash_existing(int fd, util::Sha256& sha, std::uint64_t& size) {
  sha.reset();
  size = 0;
  std::string buffer(1 << 20, '\0');
  for (;;) {
    const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(size));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorKind::io, std::string("reading the partial download: ") + std::strerror(errno));
    if (n == 0) return {};
    sha.update(buffer.data(), static_cast<std::size_t>(n));
    size += static_cast<std::uint64_t>(n);
  }
}

// A tool's own words, its last line, with the URL as the user wrote it and no header value: a
// tool may quote the URL it fetched (a signed query is a credential), and the message travels to
// the laptop's terminal and records.
std::string tool_words(const ToolRun& run, const DownloadRequest& request) {
  std::string text = run.stderr_text;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const auto last = text.rfind('\n');
  if (last != std::string::npos) text = text.substr(last + 1);
  const auto replace_all = [&](const std::string& secret, const std::string& shown) {
    if (secret.empty()) return;
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + shown.size())) {
      text.replace(at, secret.size(), shown);
    }
  };
  replace_all(request.url, request.shown.empty() ? "<the url>" : request.shown);
  for (const auto& [name, value] : request.headers) replace_all(value, "<" + name + ">");
  return text.size() > 300 ? text.substr(0, 300) + "..." : text;
}

}  // namespace

std::chrono::milliseconds download_backoff(int attempt, std::chrono::milliseconds first) {
  std::chrono::milliseconds wait = first;
  for (int k = 2; k < attempt && wait < k_download_backoff_max; ++k) wait *= 2;
  return std::min(wait, k_download_backoff_max);
}

std::vector<HttpTool> download_tools_from_env() {
  const char* chosen = std::getenv("CHOLINE_DOWNLOADER");
  if (chosen && *chosen) {
    if (auto tool = http_tool_from(chosen)) return {*tool};
    spdlog::warn("CHOLINE_DOWNLOADER={} is not curl, wget or python3; trying all three", chosen);
  }
  return {HttpTool::curl, HttpTool::wget, HttpTool::python};
}

Result<DownloadResult> download_file(const DownloadRequest& request, const std::filesystem::path& file,
                                     const DownloadOptions& options) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(ErrorKind::io, "cannot create " + file.string() + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  DownloadResult result;
  std::size_t tool_index = 0;
  bool resumed = false;  // some bytes came from an earlier attempt
  std::string last_why;
  for (int attempt = 1; attempt <= options.attempts; ++attempt) {
    if (tool_index >= options.tools.size()) {
      return make_error(ErrorKind::unsupported, "no download tool on this host: install curl (or wget, or python3)");
    }
    const HttpTool tool = options.tools[tool_index];
    if (attempt > 1) {
      if (options.on_retry) options.on_retry(attempt, last_why);
      std::this_thread::sleep_for(download_backoff(attempt, options.backoff_first));
    }
    util::Sha256 sha;
    std::uint64_t size = 0;
    if (auto ok = hash_existing(fd, sha, size); !ok) return ok.error();
    resumed = resumed || size > 0;
    const std::uint64_t offset = size;
    const FetchRequest fetch{request.url, request.headers, offset};
    auto run = run_tool(
        options.invocation ? options.invocation(tool, fetch) : tool_invocation(tool, fetch),
        [&](std::string_view chunk) -> Status {
          if (size + chunk.size() > options.max_bytes) {
            return make_error(ErrorKind::io, "the disk is full: the download passed the " +
                                                 std::to_string(options.max_bytes >> 20) + " MiB there is room for");
          }
          for (std::size_t done = 0; done < chunk.size();) {
            const ssize_t n = ::pwrite(fd, chunk.data() + done, chunk.size() - done, static_cast<off_t>(size + done));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
              const bool full = errno == ENOSPC || errno == EDQUOT;
              return make_error(ErrorKind::io, std::string(full ? "the disk is full" : "cannot write the download") +
                                                   ": " + std::strerror(errno));
            }
            done += static_cast<std::size_t>(n);
          }
          sha.update(chunk.data(), chunk.size());
          size += chunk.size();
          if (options.on_progress) options.on_progress(size, attempt);
          return {};
        });
    if (!run) return run.error();
    if (run->body_error) return *run->body_error;
    result.attempts = attempt;
    result.tool = tool;
    const FetchOutcome outcome = judge_fetch(tool, run->exit_code, final_http_status(run->headers), offset);
    spdlog::debug("download: {} attempt {} exited {}: {}", to_string(tool), attempt, run->exit_code, outcome.why);
    switch (outcome.verdict) {
      case FetchVerdict::missing_tool:
        ++tool_index;
        --attempt;  // not the server's fault
        continue;
      case FetchVerdict::fatal: {
        const std::string words = tool_words(*run, request);
        return make_error(ErrorKind::remote, outcome.why + (words.empty() ? "" : " (" + words + ")"));
      }
      case FetchVerdict::restart:
        if (::ftruncate(fd, 0) != 0) return make_error(ErrorKind::io, std::string("truncate: ") + std::strerror(errno));
        resumed = false;
        last_why = outcome.why + "; starting over";
        continue;
      case FetchVerdict::retry:
        last_why = outcome.why;
        continue;
      case FetchVerdict::complete:
        break;
    }
    const std::string digest = util::to_hex(sha.digest());
    if (digest == request.sha256) {
      result.bytes = size;
      return result;
    }
    // A resumed download may have joined two versions of a file that changed on the server:
    // once more from the start before blaming the file.
    if (resumed) {
      if (::ftruncate(fd, 0) != 0) return make_error(ErrorKind::io, std::string("truncate: ") + std::strerror(errno));
      resumed = false;
      last_why = "the resumed file did not match its sha256; starting over";
      continue;
    }
    return make_error(ErrorKind::remote, "its sha256 is " + digest + ", but the entry says " + request.sha256 + " (" +
                                             std::to_string(size) +
                                             " bytes downloaded); if the file changed on "
                                             "purpose, put the new hash in choline.json");
  }
  return make_error(ErrorKind::network, "gave up after " + std::to_string(options.attempts) + " attempts: " + last_why);
}

}  // namespace choline::agent
