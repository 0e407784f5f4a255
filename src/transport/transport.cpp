#include <choline/transport/transport.hpp>

#include <choline/util/interrupt.hpp>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <thread>
#include <unistd.h>

namespace choline::transport {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void Stream::set_idle_timeout(std::chrono::milliseconds timeout) {
  m_last_progress_ms = now_ms();
  m_idle_timeout_ms = timeout.count();
}

void Stream::note_progress() {
  if (m_idle_timeout_ms > 0) m_last_progress_ms = now_ms();
}

Status Stream::check_waiting() const {
  if (m_aborted) return make_error(ErrorKind::remote, "the stream was shut down after an error");
  if (util::interrupt_requested()) return make_error(ErrorKind::interrupted, "interrupted");
  const std::int64_t timeout = m_idle_timeout_ms;
  if (timeout > 0 && now_ms() - m_last_progress_ms > timeout) {
    return make_error(ErrorKind::timeout, "nothing moved on the connection for " + std::to_string(timeout / 1000) +
                                              " s (the idle timeout): the peer stalled or the link is dead");
  }
  return {};
}

Result<std::size_t> Stream::read_fd_some(int fd, void* buffer, std::size_t size, const char* what) {
  for (;;) {
    if (auto ok = check_waiting(); !ok) return ok.error();
    const ssize_t n = ::read(fd, buffer, size);
    if (n >= 0) {
      if (n > 0) note_progress();
      return static_cast<std::size_t>(n);
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd item{fd, POLLIN, 0};
      ::poll(&item, 1, k_wait_slice_ms);
    } else if (errno != EINTR) {
      return make_error(ErrorKind::io, std::string("reading from ") + what + ": " + std::strerror(errno));
    }
  }
}

Status Stream::write_fd_all(int fd, const void* data, std::size_t size, const char* what) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    // A signal during a blocking write usually ends it early with a partial count, not EINTR:
    // check on every round.
    if (auto ok = check_waiting(); !ok) return ok;
    const ssize_t n = ::write(fd, p, size);
    if (n > 0) {
      note_progress();
      p += n;
      size -= static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd item{fd, POLLOUT, 0};
      ::poll(&item, 1, k_wait_slice_ms);
    } else if (n < 0 && errno == EPIPE) {
      return make_error(ErrorKind::remote, std::string(what) + " closed its input");
    } else if (n < 0 && errno != EINTR) {
      return make_error(ErrorKind::io, std::string("writing to ") + what + ": " + std::strerror(errno));
    }
  }
  return {};
}

int set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return -1;
  if (::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return -1;
  return flags;
}

struct AbortTimer::State {
  std::mutex mutex;
  std::condition_variable changed;
  bool disarmed = false;
  std::thread thread;
};

AbortTimer::AbortTimer(Stream& stream, std::chrono::milliseconds grace) : m_state(std::make_unique<State>()) {
  m_state->thread = std::thread([state = m_state.get(), &stream, grace] {
    std::unique_lock lock(state->mutex);
    if (!state->changed.wait_for(lock, grace, [state] { return state->disarmed; })) stream.abort();
  });
}

AbortTimer::~AbortTimer() {
  {
    std::lock_guard lock(m_state->mutex);
    m_state->disarmed = true;
  }
  m_state->changed.notify_all();
  m_state->thread.join();
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:@,+") ==
                           std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') quoted += "'\\''"; else quoted += c;
  }
  return quoted + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& word : argv) {
    if (!line.empty()) line += ' ';
    line += shell_quote(word);
  }
  return line;
}

Status read_to_end(Stream& stream, const std::function<Status(std::string_view)>& on_chunk) {
  char buffer[16384];
  for (;;) {
    auto n = stream.read_some(buffer, sizeof buffer);
    if (!n) return n.error();
    if (*n == 0) return {};
    if (auto ok = on_chunk(std::string_view(buffer, *n)); !ok) return ok;
  }
}

Status wait_for_success(Stream& stream, const std::string& what) {
  stream.close_write();
  auto code = stream.wait();
  if (!code) return code.error();
  if (*code == 0) return {};
  const std::string tail = stream.stderr_tail();
  return make_error(ErrorKind::remote, what + " exited " + std::to_string(*code) + (tail.empty() ? "" : ": " + tail));
}

void StderrTail::append(const char* data, std::size_t size) {
  m_text.append(data, size);
  if (m_text.size() > k_keep) m_text.erase(0, m_text.size() - k_keep);
}

}  // namespace choline::transport
