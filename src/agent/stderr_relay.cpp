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

std::string StderrMarker::complete_lines(std::string_view chunk) {
  m_pending.append(chunk);
  const std::size_t last_newline = m_pending.rfind('\n');
  if (last_newline == std::string::npos) return {};
  std::string out = mark(std::string_view(m_pending).substr(0, last_newline + 1));
  m_pending.erase(0, last_newline + 1);
  return out;
}

std::string StderrMarker::partial() {
  std::string out = mark(m_pending);
  m_pending.clear();
  return out;
}

std::string StderrMarker::mark(std::string_view text) {
  std::string out;
  out.reserve(text.size() + k_stderr_marker.size());
  for (const char c : text) {
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
  m_pipes.push_back({read_fd, log_fd, {}, {}});
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
  constexpr std::size_t k_buffer = 64 * 1024;
  std::string buffer(k_buffer, '\0');
  const auto write_partials = [this](bool all) {
    const auto now = std::chrono::steady_clock::now();
    for (auto& pipe : m_pipes) {
      if (pipe.log_fd < 0 || pipe.marker.pending_bytes() == 0) continue;
      if (all || now - pipe.partial_since >= k_partial_line_wait || pipe.marker.pending_bytes() >= k_buffer) {
        write_all(pipe.log_fd, pipe.marker.partial());
      }
    }
  };
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<Pipe*> open;
    for (auto& pipe : m_pipes) {
      if (pipe.read_fd < 0) continue;
      fds.push_back({pipe.read_fd, POLLIN, 0});
      open.push_back(&pipe);
    }
    if (fds.empty() || (m_finishing && steady_ns() >= m_deadline_ns)) break;
    // Short waits: finish() and partial lines that waited long enough are noticed while the
    // pipes are quiet.
    const int ready = ::poll(fds.data(), fds.size(), 50);
    if (ready < 0 && errno != EINTR) break;
    for (std::size_t k = 0; ready > 0 && k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Pipe& pipe = *open[k];
      const ssize_t n = ::read(pipe.read_fd, buffer.data(), buffer.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        write_all(pipe.log_fd, pipe.marker.partial());  // the worker's last words, newline or not
        ::close(pipe.read_fd);
        pipe.read_fd = -1;
        continue;
      }
      const bool held_nothing = pipe.marker.pending_bytes() == 0;
      write_all(pipe.log_fd, pipe.marker.complete_lines(std::string_view(buffer.data(), static_cast<std::size_t>(n))));
      if (held_nothing && pipe.marker.pending_bytes() > 0) pipe.partial_since = std::chrono::steady_clock::now();
    }
    write_partials(false);
  }
  write_partials(true);
}

}  // namespace choline::agent
