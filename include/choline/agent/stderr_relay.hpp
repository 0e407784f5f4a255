#pragma once
// Worker stderr, marked. A worker's stdout goes straight into its rank log; its stderr goes
// through the supervisor, which starts every stderr line with k_stderr_marker. The log stays one
// readable file in the order things happened, `choline logs` and the live stream can show
// stderr apart, and stdout lines (the `choline-metrics:` convention) are untouched.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace choline::agent {

inline constexpr std::string_view k_stderr_marker = "[stderr] ";

// How long the relay keeps copying after the workers exited: their children (data loaders)
// may hold the pipe open, and must not keep the attempt from ending.
inline constexpr std::chrono::milliseconds k_stderr_drain_grace{2000};

// How long a partial stderr line (no newline yet) waits for its end before it is written as
// it is. Python writes a line's text and its newline separately; writing each piece at once
// would let a stdout line land between them.
inline constexpr std::chrono::milliseconds k_partial_line_wait{200};

// Marks the lines of a stream that arrives in chunks: complete lines come out at once, a
// partial one when asked (after k_partial_line_wait). Each line is marked once, however it is
// split. Pure.
class StderrMarker {
 public:
  // The complete lines held so far, marked; a partial last line is kept.
  std::string complete_lines(std::string_view chunk);
  // The partial line held, marked where it starts a line; empty when none is held.
  std::string partial();
  std::size_t pending_bytes() const { return m_pending.size(); }

 private:
  std::string mark(std::string_view text);
  std::string m_pending;
  bool m_at_line_start = true;
};

// Copies several workers' stderr pipes into their logs on one thread.
class StderrRelay {
 public:
  StderrRelay() = default;
  StderrRelay(const StderrRelay&) = delete;
  StderrRelay& operator=(const StderrRelay&) = delete;
  ~StderrRelay();

  // Before start(): the read end of a worker's stderr pipe and its rank log opened for
  // appending. The relay owns and closes both.
  void add(int read_fd, int log_fd);
  void start();
  // Copies what is left until every pipe is closed or `grace` has passed, then stops.
  void finish(std::chrono::milliseconds grace);

 private:
  struct Pipe {
    int read_fd;
    int log_fd;
    StderrMarker marker;
    std::chrono::steady_clock::time_point partial_since;  // when the held partial line began
  };
  void run();

  std::vector<Pipe> m_pipes;
  std::thread m_thread;
  std::atomic<bool> m_finishing{false};
  std::atomic<std::int64_t> m_deadline_ns{0};  // steady clock, valid once m_finishing
};

}  // namespace choline::agent
