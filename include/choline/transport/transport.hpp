#pragma once
// A Transport runs a command on a host and hands back a bidirectional byte stream to it, like
// `ssh host cmd` or a local child process. Everything above (sync, agent control) speaks its
// own protocol over a Stream, so it works the same over SSH, pipes, or a chroot wrapper.

#include <choline/error.hpp>

#include <cstddef>
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
