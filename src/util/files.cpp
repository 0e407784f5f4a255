#include <choline/util/files.hpp>

#include <atomic>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <unistd.h>

namespace choline::util {

namespace {
Error errno_error(const std::string& what, const std::filesystem::path& path) {
  const int saved = errno;
  return make_error(saved == ENOENT ? ErrorKind::not_found : ErrorKind::io,
                    what + " " + path.string() + ": " + std::strerror(saved));
}
}  // namespace

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return errno_error("cannot read", path);
  std::string content;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    if (content.size() + static_cast<std::size_t>(in.gcount()) > max_bytes) {
      return make_error(ErrorKind::io, path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    content.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return errno_error("cannot read", path);
  return content;
}

std::int64_t mtime_ns(const struct stat& st) {
  // Saturates instead of overflowing: a file may carry any time a peer announced.
  constexpr std::int64_t k_billion = 1'000'000'000;
  const std::int64_t seconds = static_cast<std::int64_t>(st.st_mtim.tv_sec);
  if (seconds > std::numeric_limits<std::int64_t>::max() / k_billion - 1) return std::numeric_limits<std::int64_t>::max();
  if (seconds < std::numeric_limits<std::int64_t>::min() / k_billion + 1) return std::numeric_limits<std::int64_t>::min();
  return seconds * k_billion + st.st_mtim.tv_nsec;
}

struct timespec timespec_from_ns(std::int64_t ns) {
  struct timespec ts {};
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += 1'000'000'000;
    ts.tv_sec -= 1;
  }
  return ts;
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  // Unique per process and per call: threads of one process may write the same file at once.
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path temp =
      path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return errno_error("cannot create", temp);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error error = errno_error("cannot write", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      return error;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Error error = errno_error("cannot flush", temp);
    ::unlink(temp.c_str());
    return error;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Error error = errno_error("cannot rename onto", path);
    ::unlink(temp.c_str());
    return error;
  }
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

}  // namespace choline::util
