#include <choline/agent/stderr_relay.hpp>

#include <poll.h>
#include <unistd.h>
#include <cerrno>

namespace choline::agent {

namespace {

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk: the worker's stderr is lost, the worker goes on
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string StderrMarker::mark(std::string_view chunk) {
  std::string out;
  out.reserve(chunk.size() + k_stderr_marker.size());
  for (const char c : chunk) {
    if (m_at_line_start) out.append(k_stderr_marker);
    out.push_back(c);
    m_at_line_start = c == '\n';
  }
  return out;
}

StderrRelay::~StderrRelay() {
  finish(std::chrono::milliseconds(0));
}

void StderrRelay::add(int read_fd, int log_fd) {
  m_pipes.push_back({read_fd, log_fd, {}});
}

void StderrRelay::start() {
  if (!m_pipes.empty() && !m_thread.joinable()) m_thread = std::thread([this] { run(); });
}

void StderrRelay::finish(std::chrono::milliseconds grace) {
  if (m_thread.joinable()) {
    m_deadline_ns = steady_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(grace).count();
    m_finishing = true;
    m_thread.join();
  }
  for (auto& pipe : m_pipes) {
    if (pipe.read_fd >= 0) ::close(pipe.read_fd);
    if (pipe.log_fd >= 0) ::close(pipe.log_fd);
    pipe.read_fd = pipe.log_fd = -1;
  }
}

void StderrRelay::run() {
  std::string buffer(64 * 1024, '\0');
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<Pipe*> open;
    for (auto& pipe : m_pipes) {
      if (pipe.read_fd < 0) continue;
      fds.push_back({pipe.read_fd, POLLIN, 0});
      open.push_back(&pipe);
    }
    if (fds.empty()) return;
    if (m_finishing && steady_ns() >= m_deadline_ns) return;
    // Short waits, so that finish() is noticed while the pipes are quiet.
    const int ready = ::poll(fds.data(), fds.size(), 100);
    if (ready < 0 && errno != EINTR) return;
    for (std::size_t k = 0; ready > 0 && k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Pipe& pipe = *open[k];
      const ssize_t n = ::read(pipe.read_fd, buffer.data(), buffer.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        ::close(pipe.read_fd);
        pipe.read_fd = -1;
        continue;
      }
      write_all(pipe.log_fd, pipe.marker.mark(std::string_view(buffer.data(), static_cast<std::size_t>(n))));
    }
  }
}

}  // namespace choline::agent
