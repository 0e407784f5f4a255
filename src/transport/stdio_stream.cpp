#include <choline/transport/stdio_stream.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <unistd.h>

namespace choline::transport {

namespace {

class StdioStream final : public Stream {
 public:
  StdioStream() { ::signal(SIGPIPE, SIG_IGN); }

  Result<std::size_t> read_some(void* buffer, std::size_t size) override {
    for (;;) {
      const ssize_t n = ::read(0, buffer, size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return make_error(ErrorKind::io, std::string("reading stdin: ") + std::strerror(errno));
    }
  }

  Status write_all(const void* data, std::size_t size) override {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t n = ::write(1, p, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        return make_error(errno == EPIPE ? ErrorKind::remote : ErrorKind::io,
                          std::string("writing stdout: ") + std::strerror(errno));
      }
      p += n;
      size -= static_cast<std::size_t>(n);
    }
    return {};
  }

  void close_write() override {
    ::close(1);
  }

  Result<int> wait() override { return 0; }
  std::string stderr_tail() const override { return {}; }
};

}  // namespace

std::unique_ptr<Stream> make_stdio_stream() { return std::make_unique<StdioStream>(); }

}  // namespace choline::transport
