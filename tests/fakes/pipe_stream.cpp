#include "fakes/pipe_stream.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace choline::fakes {

namespace {

class PipeStream final : public transport::Stream {
 public:
  PipeStream(int read_fd, int write_fd, std::uint64_t budget) : m_read(read_fd), m_write(write_fd), m_budget(budget) {
    transport::set_nonblocking(m_read);
    transport::set_nonblocking(m_write);
  }
  ~PipeStream() override {
    if (m_read >= 0) ::close(m_read);
    close_write();
  }

  Result<std::size_t> read_some(void* buffer, std::size_t size) override {
    return read_fd_some(m_read, buffer, size, "the test peer");
  }

  Status write_all(const void* data, std::size_t size) override {
    if (m_write < 0) return make_error(ErrorKind::remote, "stream closed");
    if (size > m_budget) {
      close_write();
      return make_error(ErrorKind::network, "connection dropped (test budget)");
    }
    m_budget -= size;
    return write_fd_all(m_write, data, size, "the test peer");
  }

  void close_write() override {
    if (m_write >= 0) ::close(m_write);
    m_write = -1;
  }
  Result<int> wait() override { return 0; }
  std::string stderr_tail() const override { return {}; }

 private:
  int m_read;
  int m_write;
  std::uint64_t m_budget;
};

}  // namespace

StreamPair make_stream_pair(std::uint64_t a_write_budget) {
  ::signal(SIGPIPE, SIG_IGN);
  int ab[2], ba[2];
  if (::pipe2(ab, O_CLOEXEC) != 0 || ::pipe2(ba, O_CLOEXEC) != 0) return {};
  return {std::make_unique<PipeStream>(ba[0], ab[1], a_write_budget),
          std::make_unique<PipeStream>(ab[0], ba[1], std::numeric_limits<std::uint64_t>::max())};
}

}  // namespace choline::fakes
