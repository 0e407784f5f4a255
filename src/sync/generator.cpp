#include "generator.hpp"

#include <choline/sync/delta.hpp>
#include <choline/sync/path_safety.hpp>
#include <choline/util/files.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace choline::sync {

namespace {

// Below one page a whole file costs about what its signature would; above it a delta wins
// whenever the old copy shares content (requests are pipelined, so there is no round trip).
constexpr std::uint64_t k_delta_min_basis = 4 * 1024;

}  // namespace

Status Generator::run() {
  for (;;) {
    auto item = m_queue.try_pop();
    if (!item) {
      // About to wait for the sender: let it have the requests we have so far.
      if (auto ok = m_writer.flush(); !ok) return ok;
      item = m_queue.pop();
    }
    if (!item) break;
    if (auto ok = handle(item->index, *item->entry); !ok) return ok;
  }
  if (auto ok = m_writer.write(static_cast<std::uint8_t>(Msg::reqs_end), {}); !ok) return ok;
  return m_writer.flush();
}

Status Generator::handle(std::uint64_t index, const FileEntry& entry) {
  if (auto valid = validate_relative_path(entry.path); !valid) {
    m_ledger.add_error(entry.path, valid.error().message);
    return {};
  }
  const auto [parent, name] = split_parent(entry.path);
  auto dir = m_root.dir(parent, true);
  if (!dir) {
    m_ledger.add_error(entry.path, dir.error().message);
    return {};
  }
  const int dir_fd = (*dir)->fd();
  switch (entry.type) {
    case EntryType::directory:
      make_directory(dir_fd, entry, name);
      return {};
    case EntryType::symlink:
      make_symlink(dir_fd, entry, name);
      return {};
    case EntryType::file:
      return request_file(dir_fd, index, entry, name);
  }
  return {};
}

void Generator::make_directory(int dir_fd, const FileEntry& entry, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode)) return;
    if (auto ok = remove_tree_at(dir_fd, name); !ok) return m_ledger.add_error(entry.path, ok.error().message);
  }
  if (::mkdirat(dir_fd, name.c_str(), 0755) != 0 && errno != EEXIST) {
    m_ledger.add_error(entry.path, std::string("cannot create directory: ") + std::strerror(errno));
  }
}

void Generator::make_symlink(int dir_fd, const FileEntry& entry, const std::string& name) {
  if (auto ok = validate_symlink_target(entry.path, entry.link_target); !ok) {
    return m_ledger.add_error(entry.path, ok.error().message);
  }
  std::string current(k_max_path_length + 1, '\0');
  const ssize_t n = ::readlinkat(dir_fd, name.c_str(), current.data(), current.size());
  if (n >= 0 && std::string_view(current.data(), static_cast<std::size_t>(n)) == entry.link_target) return;
  if (auto ok = remove_tree_at(dir_fd, name); !ok) return m_ledger.add_error(entry.path, ok.error().message);
  m_root.forget(entry.path);
  if (::symlinkat(entry.link_target.c_str(), dir_fd, name.c_str()) != 0) {
    return m_ledger.add_error(entry.path, std::string("cannot create symlink: ") + std::strerror(errno));
  }
  const struct timespec times[2] = {{0, UTIME_OMIT}, util::timespec_from_ns(entry.mtime_ns)};
  ::utimensat(dir_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

Status Generator::request_file(int dir_fd, std::uint64_t index, const FileEntry& entry, const std::string& name) {
  struct stat st {};
  const bool exists = ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && S_ISREG(st.st_mode)) {
    if (!entry.racy && static_cast<std::uint64_t>(st.st_size) == entry.size && util::mtime_ns(st) == entry.mtime_ns) {
      if ((st.st_mode & 0777) != entry.mode) ::fchmodat(dir_fd, name.c_str(), entry.mode, 0);
      return {};  // up to date
    }
    if (static_cast<std::uint64_t>(st.st_size) >= k_delta_min_basis) return request_delta(dir_fd, index, entry, name);
  } else if (exists) {
    // A directory or symlink where the sender has a file: the file wins, as in rsync.
    if (auto ok = remove_tree_at(dir_fd, name); !ok) {
      m_ledger.add_error(entry.path, ok.error().message);
      return {};
    }
    m_root.forget(entry.path);
  }
  m_ledger.record_request(index, TransferKind::whole);
  Encoder request;
  request.u64(index);
  return m_writer.write(static_cast<std::uint8_t>(Msg::req_whole), request.bytes());
}

Status Generator::request_delta(int dir_fd, std::uint64_t index, const FileEntry& entry, const std::string& name) {
  const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    m_ledger.add_error(entry.path, std::string("cannot read old copy: ") + std::strerror(errno));
    return {};
  }
  struct stat st {};
  ::fstat(fd, &st);
  m_ledger.record_request(index, TransferKind::delta);
  Encoder request;
  request.u64(index);
  Status status = m_writer.write(static_cast<std::uint8_t>(Msg::req_delta), request.bytes());
  if (status) {
    status = generate_signature(
        fd, static_cast<std::uint64_t>(st.st_size),
        [this](std::string_view chunk) { return m_writer.write(static_cast<std::uint8_t>(Msg::sig), chunk); },
        [this] { return m_writer.keepalive_if_due(static_cast<std::uint8_t>(Msg::keepalive)); });
  }
  ::close(fd);
  if (!status) return status;
  return m_writer.write(static_cast<std::uint8_t>(Msg::sig_end), {});
}

}  // namespace choline::sync
