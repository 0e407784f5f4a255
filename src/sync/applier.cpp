#include "applier.hpp"

#include <choline/limits.hpp>
#include <choline/util/files.hpp>
#include <choline/util/strings.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <tuple>

namespace choline::sync {

namespace {

// Files at least this large are fsynced on their own; smaller ones are committed in batches
// with one syncfs, because an fsync per small file would dominate a cold sync of a source tree.
constexpr std::uint64_t k_fsync_alone_at = 8 << 20;
constexpr std::size_t k_batch_files = 1024;
constexpr std::uint64_t k_batch_bytes = 64 << 20;
// Large files start writeback every this many bytes while they arrive, so the fsync before the
// rename finds little left to flush and the disk works in parallel with the network.
constexpr std::uint64_t k_writeback_every = 8 << 20;
constexpr const char* k_temp_prefix = ".choline-tmp-";

}  // namespace

Status Applier::begin(std::uint64_t index, TransferKind kind) {
  if (m_current) return make_error(ErrorKind::protocol, "file begins inside another file");
  if (!m_ledger.answer(index, kind))
    return make_error(ErrorKind::protocol, "the sender sent a file that was not requested");
  const FileEntry& entry = m_entries.at(index);
  m_current.emplace();
  IncomingFile& file = *m_current;
  file.index = index;
  file.kind = kind;
  std::tie(file.dir, file.name) = split_parent(entry.path);
  auto dir = m_root.dir(file.dir, false);
  if (!dir) return burn(dir.error().message);
  file.dir_ref = *dir;
  file.dir_fd = file.dir_ref->fd();
  if (auto room = check_disk_space(entry.size); !room) return burn(room.error().message);
  file.temp = k_temp_prefix + std::to_string(::getpid()) + "-" + std::to_string(m_temp_counter++);
  file.out_fd = ::openat(file.dir_fd, file.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (file.out_fd < 0) return burn(std::string("cannot create temp file: ") + std::strerror(errno));
  if (kind == TransferKind::delta) {
    file.basis_fd = ::openat(file.dir_fd, file.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (file.basis_fd < 0) return burn(std::string("old copy vanished: ") + std::strerror(errno));
    struct stat basis {};
    ::fstat(file.basis_fd, &basis);
    file.patcher = std::make_unique<Patcher>(file.basis_fd, file.out_fd, entry.size,
                                             copy_budget(static_cast<std::uint64_t>(basis.st_size)));
    // One copy command can rebuild gigabytes here while the sender hears nothing.
    file.patcher->set_progress([this] { return keepalive(); });
  }
  return {};
}

Status Applier::data(std::string_view chunk) {
  if (!m_current) return make_error(ErrorKind::protocol, "file data outside a file");
  IncomingFile& file = *m_current;
  if (file.failed) return {};
  if (file.patcher) {
    if (auto ok = file.patcher->feed(chunk); !ok) return burn(ok.error().message);
    start_writeback(file, file.patcher->written());
    return {};
  }
  if (file.written + chunk.size() > m_entries[file.index].size) {
    return burn("the sender sent more data than the file's announced size");
  }
  file.hash.update(chunk.data(), chunk.size());
  file.written += chunk.size();
  while (!chunk.empty()) {
    const ssize_t n = ::write(file.out_fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return burn(std::string("write failed: ") + std::strerror(errno));
    chunk.remove_prefix(static_cast<std::size_t>(n));
  }
  start_writeback(file, file.written);
  return {};
}

Status Applier::end(std::uint64_t size, const std::string& hash) {
  if (!m_current) return make_error(ErrorKind::protocol, "file end outside a file");
  IncomingFile& file = *m_current;
  const FileEntry& entry = m_entries[file.index];
  if (!file.failed && file.patcher) {
    if (auto ok = file.patcher->finish(); !ok) mark_failed(ok.error().message);
  }
  if (!file.failed) {
    const std::uint64_t written = file.patcher ? file.patcher->written() : file.written;
    const std::string digest = file.patcher ? file.patcher->hash() : file.hash.digest();
    if (written != size || written != entry.size) {
      mark_failed("size mismatch (" + std::to_string(written) + " bytes written, " + std::to_string(entry.size) +
                  " announced); the file changed during the sync: run it again");
    } else if (digest != hash) {
      mark_failed("content hash mismatch after patching (" + util::to_hex(digest) + " != " + util::to_hex(hash) + ")");
    }
  }
  if (file.failed) {
    finish_failed();
    return {};
  }
  ::fchmod(file.out_fd, entry.mode);
  const struct timespec times[2] = {{0, UTIME_OMIT}, util::timespec_from_ns(entry.mtime_ns)};
  ::futimens(file.out_fd, times);
  if (entry.size >= k_fsync_alone_at) return move_into_place(entry);
  close_current_fds();
  m_pending.push_back({file.dir, file.temp, file.name, file.index});
  m_pending_bytes += entry.size;
  m_current.reset();
  if (m_pending.size() >= k_batch_files || m_pending_bytes >= k_batch_bytes) return commit();
  return {};
}

// A large file on its own: fsync, then rename over the old copy.
Status Applier::move_into_place(const FileEntry& entry) {
  IncomingFile& file = *m_current;
  if (::fsync(file.out_fd) != 0) {
    mark_failed(std::string("fsync failed: ") + std::strerror(errno));
    finish_failed();
    return {};
  }
  close_current_fds();
  if (::renameat(file.dir_fd, file.temp.c_str(), file.dir_fd, file.name.c_str()) != 0) {
    m_ledger.add_error(entry.path, std::string("cannot move into place: ") + std::strerror(errno));
    ::unlinkat(file.dir_fd, file.temp.c_str(), 0);
  } else {
    ++m_transferred;
  }
  m_current.reset();
  return {};
}

Status Applier::abort(std::uint64_t index, const std::string& why) {
  if (!m_ledger.answer_any(index)) return make_error(ErrorKind::protocol, "abort of a file that was not requested");
  m_ledger.add_error(m_entries.at(index).path, "the sender could not send it: " + util::printable(why, 4096));
  return {};
}

Status Applier::commit() {
  if (m_pending.empty()) return {};
  if (auto ok = keepalive(); !ok) return ok;
  if (::syncfs(m_root.root_fd()) != 0) return error_from_errno("syncfs");
  for (const auto& pending : m_pending) {
    auto dir = m_root.dir(pending.dir, false);
    const int dir_fd = dir ? (*dir)->fd() : -1;
    if (!dir || ::renameat(dir_fd, pending.temp.c_str(), dir_fd, pending.name.c_str()) != 0) {
      m_ledger.add_error(m_entries[pending.index].path, std::string("cannot move into place: ") + std::strerror(errno));
      if (dir) ::unlinkat(dir_fd, pending.temp.c_str(), 0);
      continue;
    }
    ++m_transferred;
  }
  m_pending.clear();
  m_pending_bytes = 0;
  return {};
}

void Applier::discard() {
  if (m_current) {
    m_current->failed = "discarded";
    finish_failed();
  }
  for (const auto& pending : m_pending) {
    if (auto dir = m_root.dir(pending.dir, false)) ::unlinkat((*dir)->fd(), pending.temp.c_str(), 0);
  }
  m_pending.clear();
}

Status Applier::keepalive() {
  return m_writer.keepalive_if_due(static_cast<std::uint8_t>(Msg::keepalive));
}

void Applier::mark_failed(const std::string& why) {
  if (m_current && !m_current->failed) m_current->failed = why;
}

Status Applier::burn(const std::string& why) {
  mark_failed(why);
  return {};
}

// A file is refused before a byte is written when it would leave less than
// limits::k_min_free_disk_bytes free: a host announcing huge files cannot fill the disk.
Status Applier::check_disk_space(std::uint64_t size) const {
  struct statvfs fs {};
  if (::fstatvfs(m_root.root_fd(), &fs) != 0) return {};  // unknown: the write itself will tell
  const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes >= limits::k_min_free_disk_bytes && free_bytes - limits::k_min_free_disk_bytes >= size) return {};
  return make_error(ErrorKind::io, "not enough disk space: " + std::to_string(size) + " bytes announced, " +
                                       std::to_string(free_bytes) + " free, and choline keeps " +
                                       std::to_string(limits::k_min_free_disk_bytes >> 20) +
                                       " MiB free; free some space and sync again");
}

void Applier::start_writeback(IncomingFile& file, std::uint64_t written) {
  if (written - file.writeback_from < k_writeback_every) return;
  ::sync_file_range(file.out_fd, static_cast<off_t>(file.writeback_from),
                    static_cast<off_t>(written - file.writeback_from), SYNC_FILE_RANGE_WRITE);
  file.writeback_from = written;
}

void Applier::close_current_fds() {
  IncomingFile& file = *m_current;
  file.patcher.reset();
  if (file.out_fd >= 0) ::close(file.out_fd);
  if (file.basis_fd >= 0) ::close(file.basis_fd);
  file.out_fd = file.basis_fd = -1;
}

void Applier::finish_failed() {
  IncomingFile& file = *m_current;
  close_current_fds();
  if (file.dir_fd >= 0 && !file.temp.empty()) ::unlinkat(file.dir_fd, file.temp.c_str(), 0);
  if (*file.failed != "discarded") m_ledger.add_error(m_entries[file.index].path, *file.failed);
  m_current.reset();
}

}  // namespace choline::sync
