#include <choline/transport/local_transport.hpp>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace choline::transport {

namespace {


class LocalStream final : public Stream {
 public:
  LocalStream(pid_t pid, int in_fd, int out_fd, int err_fd) : m_pid(pid), m_in(in_fd), m_out(out_fd) {
    // Our ends of the pipes only (the child's ends are other open files): waits happen in poll,
    // where abort, Ctrl-C and the idle timeout are noticed.
    set_nonblocking(m_in);
    set_nonblocking(m_out);
    // stderr is drained on its own thread so a chatty child can never block on a full pipe.
    m_stderr_thread = std::thread([this, err_fd] {
      char buffer[4096];
      for (;;) {
        const ssize_t n = ::read(err_fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        std::lock_guard lock(m_stderr_mutex);
        m_stderr.append(buffer, static_cast<std::size_t>(n));
      }
      ::close(err_fd);
    });
  }

  ~LocalStream() override {
    if (m_in >= 0) ::close(m_in);
    if (m_out >= 0) ::close(m_out);
    if (!m_reaped) {
      ::kill(m_pid, SIGKILL);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
    if (m_stderr_thread.joinable()) m_stderr_thread.join();
  }

  Result<std::size_t> read_some(void* buffer, std::size_t size) override {
    return read_fd_some(m_out, buffer, size, "local command");
  }

  Status write_all(const void* data, std::size_t size) override {
    if (m_in < 0) return make_error(ErrorKind::io, "write after close_write");
    auto ok = write_fd_all(m_in, data, size, "local command");
    if (!ok && ok.error().kind == ErrorKind::remote) return make_error(ErrorKind::remote, ok.error().message + stderr_suffix());
    return ok;
  }

  void close_write() override {
    if (m_in >= 0) ::close(m_in);
    m_in = -1;
  }

  Result<int> wait() override {
    close_write();
    if (!m_reaped) {
      int status = 0;
      while (::waitpid(m_pid, &status, 0) < 0) {
        if (errno != EINTR) return error_from_errno("waiting for local command");
      }
      m_reaped = true;
      m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (m_stderr_thread.joinable()) m_stderr_thread.join();
    }
    return m_status;
  }

  std::string stderr_tail() const override {
    std::lock_guard lock(m_stderr_mutex);
    return m_stderr.text();
  }

 private:
  std::string stderr_suffix() const {
    const std::string tail = stderr_tail();
    return tail.empty() ? "" : ": " + tail;
  }

  pid_t m_pid;
  int m_in;
  int m_out;
  bool m_reaped = false;
  int m_status = -1;
  std::thread m_stderr_thread;
  mutable std::mutex m_stderr_mutex;
  StderrTail m_stderr;
};

class LocalTransport final : public Transport {
 public:
  explicit LocalTransport(std::vector<std::string> wrapper) : m_wrapper(std::move(wrapper)) {}

  Result<std::unique_ptr<Stream>> exec(const std::vector<std::string>& command) override {
    std::vector<std::string> argv = m_wrapper;
    argv.insert(argv.end(), command.begin(), command.end());
    if (argv.empty()) return make_error(ErrorKind::internal, "empty command");
    // A write to a child that died must surface as EPIPE, not kill us.
    ::signal(SIGPIPE, SIG_IGN);

    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return error_from_errno("pipe");
    if (::pipe2(out, O_CLOEXEC) != 0) return error_from_errno("pipe");
    if (::pipe2(err, O_CLOEXEC) != 0) return error_from_errno("pipe");
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid < 0) return error_from_errno("fork");
    if (pid == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      ::signal(SIGPIPE, SIG_DFL);
      ::execvp(args[0], args.data());
      const std::string message = std::string("cannot run ") + args[0] + ": " + std::strerror(errno) + "\n";
      (void)!::write(2, message.data(), message.size());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    spdlog::debug("local: started {} (pid {})", shell_join(argv), pid);
    return std::unique_ptr<Stream>(std::make_unique<LocalStream>(pid, in[1], out[0], err[0]));
  }

  std::string describe() const override { return m_wrapper.empty() ? "local" : "local (" + shell_join(m_wrapper) + ")"; }

 private:
  std::vector<std::string> m_wrapper;
};

}  // namespace

std::unique_ptr<Transport> make_local_transport(std::vector<std::string> wrapper) {
  return std::make_unique<LocalTransport>(std::move(wrapper));
}

}  // namespace choline::transport
