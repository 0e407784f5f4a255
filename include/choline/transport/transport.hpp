#pragma once
// A Transport runs a command on a host and hands back a bidirectional byte stream to it, like
// `ssh host cmd` or a local child process. Everything above (sync, agent control) speaks its
// own protocol over a Stream, so it works the same over SSH, pipes, or a chroot wrapper.

#include <choline/error.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <memory>
#include <string>
#include <vector>

namespace choline::transport {

// The command's stdin (write side) and stdout (read side). One thread may read while another
// writes; neither side is safe for two readers or two writers at once.
class Stream {
 public:
  virtual ~Stream() = default;

  // Reads up to `size` bytes. Returns 0 at end of stream, an error on failure.
  virtual Result<std::size_t> read_some(void* buffer, std::size_t size) = 0;

  // Writes all `size` bytes or fails.
  virtual Status write_all(const void* data, std::size_t size) = 0;

  // Closes the command's stdin (it sees end of file). Further writes fail.
  virtual void close_write() = 0;

  // Waits for the command to exit and returns its exit status (128+N for signal N).
  virtual Result<int> wait() = 0;

  // The last few KiB the command wrote to stderr, for error messages.
  virtual std::string stderr_tail() const = 0;

  // From now on a read or write that waits fails (ErrorKind::timeout) once nothing has moved in
  // either direction for `timeout`; zero (the default) waits forever. Protocols whose peer keeps
  // talking set it (sync); streams of commands that may rightly be silent for long (setup
  // scripts) do not.
  void set_idle_timeout(std::chrono::milliseconds timeout);

  // Makes every waiting and later read or write fail at once, from any thread. How one side of a
  // protocol frees its other thread when the peer stopped reading or answering.
  void abort() { m_aborted = true; }
  bool aborted() const { return m_aborted; }

 protected:
  // For implementations, while a read or write waits: an error when the stream was aborted,
  // Ctrl-C was pressed, or the idle timeout passed. Blocked calls re-check every k_wait_slice_ms.
  Status check_waiting() const;
  // For implementations, after bytes moved.
  void note_progress();
  static constexpr int k_wait_slice_ms = 100;

  // Reads and writes on a non-blocking file descriptor (see set_nonblocking), waiting with poll
  // in slices so that abort, Ctrl-C and the idle timeout are noticed while blocked. `what` names
  // the peer in errors. A write to a closed pipe is a remote error.
  Result<std::size_t> read_fd_some(int fd, void* buffer, std::size_t size, const char* what);
  Status write_fd_all(int fd, const void* data, std::size_t size, const char* what);

 private:
  std::atomic<bool> m_aborted{false};
  std::atomic<std::int64_t> m_idle_timeout_ms{0};
  std::atomic<std::int64_t> m_last_progress_ms{0};
};

// Puts `fd` in non-blocking mode; returns its previous flags (to restore), or -1 on failure.
int set_nonblocking(int fd);

// Aborts `stream` unless disarmed (or destroyed) within `grace`. Bounds how long a side that
// failed waits for a peer that stopped reading or answering, while a cooperative peer still
// gets the error message and a clean end.
class AbortTimer {
 public:
  AbortTimer(Stream& stream, std::chrono::milliseconds grace);
  ~AbortTimer();
  AbortTimer(const AbortTimer&) = delete;
  AbortTimer& operator=(const AbortTimer&) = delete;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Starts `argv` on the host (argv[0] looked up in its PATH).
  virtual Result<std::unique_ptr<Stream>> exec(const std::vector<std::string>& argv) = 0;

  // "local", "root@1.2.3.4:22", for messages.
  virtual std::string describe() const = 0;
};

// Reads `stream` to its end, handing each chunk to `on_chunk` (whose error stops the reading).
Status read_to_end(Stream& stream, const std::function<Status(std::string_view)>& on_chunk);

// Closes the command's input and waits for it; a non-zero exit becomes a remote error that says
// what ran (`what`), its status and the end of its stderr.
Status wait_for_success(Stream& stream, const std::string& what);

// Quotes one word for a POSIX shell (single quotes), as SSH runs commands through the remote
// user's shell.
std::string shell_quote(const std::string& word);
std::string shell_join(const std::vector<std::string>& argv);

// A bounded buffer of the last bytes of a stderr stream.
class StderrTail {
 public:
  void append(const char* data, std::size_t size);
  std::string text() const { return m_text; }

 private:
  static constexpr std::size_t k_keep = 8192;
  std::string m_text;
};

}  // namespace choline::transport
