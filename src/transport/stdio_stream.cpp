#include <choline/transport/stdio_stream.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace choline::transport {

namespace {

class StdioStream final : public Stream {
 public:
  StdioStream() {
    ::signal(SIGPIPE, SIG_IGN);
    // The agent's stdin and stdout are its SSH channel (or the laptop's pipes), used by nothing
    // else while it runs; the flags are put back at the end in case they are a terminal.
    m_stdin_flags = set_nonblocking(0);
    m_stdout_flags = set_nonblocking(1);
  }

  ~StdioStream() override {
    if (m_stdin_flags >= 0) ::fcntl(0, F_SETFL, m_stdin_flags);
    if (m_stdout_flags >= 0 && !m_closed) ::fcntl(1, F_SETFL, m_stdout_flags);
  }

  Result<std::size_t> read_some(void* buffer, std::size_t size) override { return read_fd_some(0, buffer, size, "stdin"); }

  Status write_all(const void* data, std::size_t size) override {
    if (m_closed) return make_error(ErrorKind::io, "write after close_write");
    return write_fd_all(1, data, size, "stdout");
  }

  void close_write() override {
    if (m_closed) return;
    if (m_stdout_flags >= 0) ::fcntl(1, F_SETFL, m_stdout_flags);
    ::close(1);
    m_closed = true;
  }

  Result<int> wait() override { return 0; }
  std::string stderr_tail() const override { return {}; }

 private:
  int m_stdin_flags = -1;
  int m_stdout_flags = -1;
  bool m_closed = false;
};

}  // namespace

std::unique_ptr<Stream> make_stdio_stream() { return std::make_unique<StdioStream>(); }

}  // namespace choline::transport
