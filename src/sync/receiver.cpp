#include <choline/limits.hpp>
#include <choline/sync/delta.hpp>
#include <choline/sync/path_safety.hpp>
#include <choline/sync/safe_dir.hpp>
#include <choline/sync/sync.hpp>
#include <choline/util/blocking_queue.hpp>
#include <choline/util/files.hpp>
#include <choline/util/hash.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <thread>
#include <unistd.h>

namespace choline::sync {

namespace {

// Below one page a whole file costs about what its signature would; above it a delta wins
// whenever the old copy shares content (requests are pipelined, so there is no round trip).
constexpr std::uint64_t k_delta_min_basis = 4 * 1024;
// Files at least this large are fsynced on their own; smaller ones are committed in batches
// with one syncfs, because an fsync per small file would dominate a cold sync of a source tree.
constexpr std::uint64_t k_fsync_alone_at = 8 << 20;
constexpr std::size_t k_batch_files = 1024;
// Large files start writeback every this many bytes while they arrive, so the fsync before the
// rename finds little left to flush and the disk works in parallel with the network.
constexpr std::uint64_t k_writeback_every = 8 << 20;
constexpr std::uint64_t k_batch_bytes = 64 << 20;
constexpr const char* k_temp_prefix = ".choline-tmp-";

Error sys_error(const std::string& what) { return make_error(ErrorKind::io, what + ": " + std::strerror(errno)); }

// State both receiver threads touch.
struct Shared {
  std::mutex mutex;
  std::map<std::uint64_t, TransferKind> requested;  // what the sender may send, and how
  std::vector<std::string> errors;

  // `path` comes from the peer: printed escaped (a name can carry terminal escape sequences).
  void add_error(const std::string& path, const std::string& why) {
    const std::string line = util::printable(path) + ": " + why;
    std::lock_guard lock(mutex);
    spdlog::warn("sync: {}", line);
    if (errors.size() < k_max_report_errors) errors.push_back(line);
  }
};

// The list lives in a deque on the main thread (appending never moves its elements); the
// generator gets a pointer to each entry, not a copy.
struct QueuedEntry {
  std::uint64_t index;
  const FileEntry* entry;
};

// Runs on its own thread: for each entry as it arrives, makes directories and symlinks, and
// requests the files that are missing or differ, streaming the signature of the old copy.
class Generator {
 public:
  Generator(SafeRoot root, FrameWriter& writer, Shared& shared, util::BlockingQueue<QueuedEntry>& queue)
      : m_root(std::move(root)), m_writer(writer), m_shared(shared), m_queue(queue) {}

  Status run() {
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

 private:
  // Per-entry problems are recorded and skipped; only a failing stream is returned.
  Status handle(std::uint64_t index, const FileEntry& entry) {
    if (auto valid = validate_relative_path(entry.path); !valid) {
      m_shared.add_error(entry.path, valid.error().message);
      return {};
    }
    const auto [parent, name] = split_parent(entry.path);
    auto dir = m_root.dir(parent, true);
    if (!dir) {
      m_shared.add_error(entry.path, dir.error().message);
      return {};
    }
    const int dir_fd = (*dir)->fd();
    switch (entry.type) {
      case EntryType::directory: make_directory(dir_fd, entry, name); return {};
      case EntryType::symlink: make_symlink(dir_fd, entry, name); return {};
      case EntryType::file: return request_file(dir_fd, index, entry, name);
    }
    return {};
  }

  void make_directory(int dir_fd, const FileEntry& entry, const std::string& name) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISDIR(st.st_mode)) return;
      if (auto ok = remove_tree_at(dir_fd, name); !ok) return m_shared.add_error(entry.path, ok.error().message);
    }
    if (::mkdirat(dir_fd, name.c_str(), 0755) != 0 && errno != EEXIST) {
      m_shared.add_error(entry.path, std::string("cannot create directory: ") + std::strerror(errno));
    }
  }

  void make_symlink(int dir_fd, const FileEntry& entry, const std::string& name) {
    if (auto ok = validate_symlink_target(entry.path, entry.link_target); !ok) {
      return m_shared.add_error(entry.path, ok.error().message);
    }
    std::string current(k_max_path_length + 1, '\0');
    const ssize_t n = ::readlinkat(dir_fd, name.c_str(), current.data(), current.size());
    if (n >= 0 && std::string_view(current.data(), static_cast<std::size_t>(n)) == entry.link_target) return;
    if (auto ok = remove_tree_at(dir_fd, name); !ok) return m_shared.add_error(entry.path, ok.error().message);
    m_root.forget(entry.path);
    if (::symlinkat(entry.link_target.c_str(), dir_fd, name.c_str()) != 0) {
      return m_shared.add_error(entry.path, std::string("cannot create symlink: ") + std::strerror(errno));
    }
    const struct timespec times[2] = {{0, UTIME_OMIT}, util::timespec_from_ns(entry.mtime_ns)};
    ::utimensat(dir_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }

  Status request_file(int dir_fd, std::uint64_t index, const FileEntry& entry, const std::string& name) {
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
        m_shared.add_error(entry.path, ok.error().message);
        return {};
      }
      m_root.forget(entry.path);
    }
    mark_requested(index, TransferKind::whole);
    Encoder request;
    request.u64(index);
    return m_writer.write(static_cast<std::uint8_t>(Msg::req_whole), request.bytes());
  }

  Status request_delta(int dir_fd, std::uint64_t index, const FileEntry& entry, const std::string& name) {
    const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      m_shared.add_error(entry.path, std::string("cannot read old copy: ") + std::strerror(errno));
      return {};
    }
    struct stat st {};
    ::fstat(fd, &st);
    mark_requested(index, TransferKind::delta);
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

  void mark_requested(std::uint64_t index, TransferKind kind) {
    std::lock_guard lock(m_shared.mutex);
    m_shared.requested[index] = kind;
  }

  SafeRoot m_root;
  FrameWriter& m_writer;
  Shared& m_shared;
  util::BlockingQueue<QueuedEntry>& m_queue;
};

// The file being received (Applier), and a received small file waiting for its batch commit.
// At namespace scope: clang cannot default-construct a nested class with member initializers
// inside std::optional before the enclosing class is complete.
struct IncomingFile {
  std::uint64_t index = 0;
  TransferKind kind = TransferKind::whole;
  std::string dir, name, temp;
  DirRef dir_ref;  // keeps the directory open while the file is written
  int dir_fd = -1;
  int out_fd = -1;
  int basis_fd = -1;
  std::unique_ptr<Patcher> patcher;
  util::Hash128 hash;
  std::uint64_t written = 0;
  std::uint64_t writeback_from = 0;
  std::optional<std::string> failed;
};

struct PendingFile {
  std::string dir, temp, name;
  std::uint64_t index;
};

// Runs on the main thread: turns FILE_BEGIN/DATA/FILE_END into verified files in place.
class Applier {
 public:
  Applier(SafeRoot root, const std::deque<FileEntry>& entries, Shared& shared, FrameWriter& writer)
      : m_root(std::move(root)), m_entries(entries), m_shared(shared), m_writer(writer) {}

  ~Applier() { discard(); }

  // Fails only on protocol violations; a file that cannot be written is reported and skipped.
  Status begin(std::uint64_t index, TransferKind kind) {
    if (m_current) return make_error(ErrorKind::protocol, "file begins inside another file");
    {
      std::lock_guard lock(m_shared.mutex);
      const auto it = m_shared.requested.find(index);
      if (it == m_shared.requested.end() || it->second != kind) {
        return make_error(ErrorKind::protocol, "the sender sent a file that was not requested");
      }
      m_shared.requested.erase(it);
    }
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

  Status data(std::string_view chunk) {
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

  Status end(std::uint64_t size, const std::string& hash) {
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
    if (entry.size >= k_fsync_alone_at) {
      if (::fsync(file.out_fd) != 0) {
        mark_failed(std::string("fsync failed: ") + std::strerror(errno));
        finish_failed();
        return {};
      }
      close_current_fds();
      if (::renameat(file.dir_fd, file.temp.c_str(), file.dir_fd, file.name.c_str()) != 0) {
        m_shared.add_error(entry.path, std::string("cannot move into place: ") + std::strerror(errno));
        ::unlinkat(file.dir_fd, file.temp.c_str(), 0);
      } else {
        ++m_transferred;
      }
      m_current.reset();
      return {};
    }
    close_current_fds();
    m_pending.push_back({file.dir, file.temp, file.name, file.index});
    m_pending_bytes += entry.size;
    m_current.reset();
    if (m_pending.size() >= k_batch_files || m_pending_bytes >= k_batch_bytes) return commit();
    return {};
  }

  Status abort(std::uint64_t index, const std::string& why) {
    {
      std::lock_guard lock(m_shared.mutex);
      if (m_shared.requested.erase(index) == 0) return make_error(ErrorKind::protocol, "abort of a file that was not requested");
    }
    m_shared.add_error(m_entries.at(index).path, "the sender could not send it: " + util::printable(why, 4096));
    return {};
  }

  // Makes the pending small files durable with one syncfs, then renames them into place.
  Status commit() {
    if (m_pending.empty()) return {};
    if (auto ok = keepalive(); !ok) return ok;
    if (::syncfs(m_root.root_fd()) != 0) return sys_error("syncfs");
    for (const auto& pending : m_pending) {
      auto dir = m_root.dir(pending.dir, false);
      const int dir_fd = dir ? (*dir)->fd() : -1;
      if (!dir || ::renameat(dir_fd, pending.temp.c_str(), dir_fd, pending.name.c_str()) != 0) {
        m_shared.add_error(m_entries[pending.index].path, std::string("cannot move into place: ") + std::strerror(errno));
        if (dir) ::unlinkat(dir_fd, pending.temp.c_str(), 0);
        continue;
      }
      ++m_transferred;
    }
    m_pending.clear();
    m_pending_bytes = 0;
    return {};
  }

  // Removes every temp file not yet in place (on a fatal error).
  void discard() {
    if (m_current) {
      m_current->failed = "discarded";
      finish_failed();
    }
    for (const auto& pending : m_pending) {
      if (auto dir = m_root.dir(pending.dir, false)) ::unlinkat((*dir)->fd(), pending.temp.c_str(), 0);
    }
    m_pending.clear();
  }

  std::uint64_t transferred() const { return m_transferred; }
  SafeRoot& root() { return m_root; }

 private:
  Status keepalive() { return m_writer.keepalive_if_due(static_cast<std::uint8_t>(Msg::keepalive)); }

  // Marks the current file failed; its remaining data is read and dropped. Per-file failures
  // never end the transfer, hence the (successful) Status for `return burn(...)`.
  void mark_failed(const std::string& why) {
    if (m_current && !m_current->failed) m_current->failed = why;
  }
  Status burn(const std::string& why) {
    mark_failed(why);
    return {};
  }

  // A file is refused before a byte is written when it would leave less than
  // limits::k_min_free_disk_bytes free: a host announcing huge files cannot fill the disk.
  Status check_disk_space(std::uint64_t size) const {
    struct statvfs fs {};
    if (::fstatvfs(m_root.root_fd(), &fs) != 0) return {};  // unknown: the write itself will tell
    const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (free_bytes >= limits::k_min_free_disk_bytes && free_bytes - limits::k_min_free_disk_bytes >= size) return {};
    return make_error(ErrorKind::io, "not enough disk space: " + std::to_string(size) + " bytes announced, " +
                                         std::to_string(free_bytes) + " free, and choline keeps " +
                                         std::to_string(limits::k_min_free_disk_bytes >> 20) +
                                         " MiB free; free some space and sync again");
  }

  void start_writeback(IncomingFile& file, std::uint64_t written) {
    if (written - file.writeback_from < k_writeback_every) return;
    ::sync_file_range(file.out_fd, static_cast<off_t>(file.writeback_from),
                      static_cast<off_t>(written - file.writeback_from), SYNC_FILE_RANGE_WRITE);
    file.writeback_from = written;
  }

  void close_current_fds() {
    IncomingFile& file = *m_current;
    file.patcher.reset();
    if (file.out_fd >= 0) ::close(file.out_fd);
    if (file.basis_fd >= 0) ::close(file.basis_fd);
    file.out_fd = file.basis_fd = -1;
  }

  void finish_failed() {
    IncomingFile& file = *m_current;
    close_current_fds();
    if (file.dir_fd >= 0 && !file.temp.empty()) ::unlinkat(file.dir_fd, file.temp.c_str(), 0);
    if (*file.failed != "discarded") m_shared.add_error(m_entries[file.index].path, *file.failed);
    m_current.reset();
  }

  SafeRoot m_root;
  const std::deque<FileEntry>& m_entries;
  Shared& m_shared;
  FrameWriter& m_writer;  // shared with the generator (FrameWriter is thread-safe): keepalives
  std::optional<IncomingFile> m_current;
  std::vector<PendingFile> m_pending;
  std::uint64_t m_pending_bytes = 0;
  std::uint64_t m_transferred = 0;
  std::uint64_t m_temp_counter = 0;
};

// Removes what the receiver has and the sender did not list, except ignored paths (they are
// protected, as in rsync: a host's outputs under an ignored directory survive a push). Called
// only when this side asked for deletion: the sender has no say in it.
std::uint64_t delete_extraneous(const std::filesystem::path& root, SafeRoot& safe, const std::deque<FileEntry>& entries,
                                const SyncOptions& options, Shared& shared) {
  IgnoreRules rules = IgnoreRules::with_defaults();
  for (const auto& pattern : options.extra_ignore) rules.add_pattern(pattern);
  auto local = scan_tree(root, std::move(rules), options.ignore_files);
  if (!local) {
    shared.add_error(root.string(), "cannot scan for deletion: " + local.error().message);
    return 0;
  }
  std::set<std::string> wanted;
  for (const auto& entry : entries) wanted.insert(entry.path);
  std::uint64_t deleted = 0;
  for (auto it = local->rbegin(); it != local->rend(); ++it) {
    if (wanted.count(it->path)) continue;
    const auto [parent, name] = split_parent(it->path);
    auto dir = safe.dir(parent, false);
    if (!dir) continue;
    if (auto ok = remove_tree_at((*dir)->fd(), name); !ok) {
      shared.add_error(it->path, "cannot delete: " + ok.error().message);
      continue;
    }
    safe.forget(it->path);
    ++deleted;
  }
  return deleted;
}

void apply_directory_modes(SafeRoot& safe, const std::deque<FileEntry>& entries) {
  for (const auto& entry : entries) {
    if (entry.type != EntryType::directory || !validate_relative_path(entry.path)) continue;
    const auto [parent, name] = split_parent(entry.path);
    // The owner keeps rwx: a directory the next sync cannot write into would wedge every run.
    if (auto dir = safe.dir(parent, false)) ::fchmodat((*dir)->fd(), name.c_str(), entry.mode | 0700, 0);
  }
}

// The REPORT frame: counts and as many of the errors as fit in one frame (then a line saying how
// many more there were; the full list is in this side's own stats).
std::string encode_report(const SyncStats& stats) {
  constexpr std::size_t k_room = limits::k_max_frame_payload - 2 * limits::k_max_error_message;
  std::vector<std::string> lines;
  std::size_t bytes = 0;
  for (const auto& error : stats.errors) {
    std::string line = error.substr(0, limits::k_max_error_message - 192);
    if (bytes + line.size() + 4 > k_room || lines.size() == k_max_report_errors) {
      lines.push_back("... and " + std::to_string(stats.errors.size() - lines.size()) + " more errors");
      break;
    }
    bytes += line.size() + 4;
    lines.push_back(std::move(line));
  }
  Encoder report;
  report.u64(stats.files_transferred).u64(stats.files_deleted).u32(static_cast<std::uint32_t>(lines.size()));
  for (const auto& line : lines) report.str(line);
  return report.take();
}

}  // namespace

Result<SyncStats> run_receiver(const std::filesystem::path& root, transport::Stream& stream, const SyncOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  stream.set_idle_timeout(options.idle_timeout);
  FrameReader reader(stream);
  FrameWriter writer(stream);
  auto fail = [&](Error error) -> Result<SyncStats> {
    if (!stream.aborted()) {
      transport::AbortTimer abort_timer(stream, limits::k_shutdown_grace);
      (void)writer.write(static_cast<std::uint8_t>(Msg::error), encode_error(error.message));
      (void)writer.flush();
    }
    return error;
  };

  auto hello = reader.read();
  if (!hello) return hello.error();
  if (hello->type != static_cast<std::uint8_t>(Msg::hello)) return fail(make_error(ErrorKind::protocol, "expected hello from sender"));
  if (auto ok = decode_hello(hello->payload); !ok) return fail(ok.error());
  auto generator_root = SafeRoot::open(root, true);
  if (!generator_root) return fail(generator_root.error());
  auto applier_root = SafeRoot::open(root, false);
  if (!applier_root) return fail(applier_root.error());

  Shared shared;
  util::BlockingQueue<QueuedEntry> queue;
  Status generator_status;
  std::thread generator_thread([&, root_handle = std::move(*generator_root)]() mutable {
    generator_status = Generator(std::move(root_handle), writer, shared, queue).run();
  });

  std::deque<FileEntry> entries;
  std::uint64_t entry_bytes = 0;  // memory the list holds (limits::k_max_entry_list_bytes)
  Applier applier(std::move(*applier_root), entries, shared, writer);
  bool entries_done = false;
  std::uint64_t literal = 0, matched = 0;
  SyncProgress progress;  // for options.progress
  Status status;
  for (bool finished = false; status && !finished;) {
    auto frame = reader.read();
    if (!frame) {
      status = frame.error();
      break;
    }
    Decoder in(frame->payload);
    switch (static_cast<Msg>(frame->type)) {
      case Msg::entries: {
        auto count = in.u32();
        if (entries_done || !count || *count > limits::k_max_entries_per_frame) {
          status = make_error(ErrorKind::protocol, "bad file list from sender");
          break;
        }
        for (std::uint32_t i = 0; i < *count && status; ++i) {
          auto entry = decode_entry(in);
          if (!entry) {
            status = entry.error();
            break;
          }
          entry_bytes += entry->path.size() + entry->link_target.size() + limits::k_entry_overhead_bytes;
          if (entries.size() >= k_max_entries || entry_bytes > options.max_entry_list_bytes) {
            status = make_error(ErrorKind::protocol, "the sender's file list is over the limit (" +
                                                         std::to_string(k_max_entries) + " files or " +
                                                         std::to_string(options.max_entry_list_bytes >> 20) +
                                                         " MiB of names); sync fewer files at once");
            break;
          }
          entries.push_back(std::move(*entry));
          queue.push({entries.size() - 1, &entries.back()});
        }
        if (status) status = in.finish("file list");
        break;
      }
      case Msg::entries_end:
        if (entries_done || !frame->payload.empty()) {
          status = make_error(ErrorKind::protocol, "bad end of the file list from sender");
          break;
        }
        entries_done = true;
        queue.close();
        break;
      case Msg::file_begin: {
        auto index = in.u64();
        auto kind = in.u8();
        if (!index || !kind || !in.at_end() || *index >= entries.size() || (*kind != 1 && *kind != 2)) {
          status = make_error(ErrorKind::protocol, "bad file header from sender");
          break;
        }
        status = applier.begin(*index, static_cast<TransferKind>(*kind));
        break;
      }
      case Msg::data:
        status = applier.data(frame->payload);
        break;
      case Msg::keepalive:
        break;
      case Msg::file_end: {
        auto size = in.u64();
        if (!size || frame->payload.size() != 8 + 16) {
          status = make_error(ErrorKind::protocol, "bad file trailer from sender");
          break;
        }
        status = applier.end(*size, frame->payload.substr(8));
        break;
      }
      case Msg::file_abort: {
        auto index = in.u64();
        auto why = in.str(4096);
        status = (!index || !why) ? Status(make_error(ErrorKind::protocol, "bad abort from sender")) : applier.abort(*index, *why);
        break;
      }
      case Msg::done: {
        auto l = in.u64();
        auto m = in.u64();
        if (!entries_done || !l || !m) {
          status = make_error(ErrorKind::protocol, "early or bad end from sender");
          break;
        }
        literal = *l;
        matched = *m;
        finished = true;
        break;
      }
      case Msg::error: {
        auto message = in.str(limits::k_max_error_message);
        status = make_error(ErrorKind::remote, "sender: " + (message ? util::printable(*message, 4096) : std::string("unknown error")));
        break;
      }
      default:
        status = make_error(ErrorKind::protocol, "unexpected message " + std::to_string(frame->type) + " from sender");
    }
    if (options.progress) {
      if (frame->type == static_cast<std::uint8_t>(Msg::file_end)) ++progress.files_done;
      progress.bytes_done = reader.bytes_read();
      options.progress(progress);
    }
  }
  queue.close();
  if (status) {
    generator_thread.join();
  } else {
    // The generator may be blocked writing requests to a sender that stopped reading: give it
    // the grace period to finish, then abort the stream under it.
    transport::AbortTimer abort_timer(stream, limits::k_shutdown_grace);
    generator_thread.join();
  }
  if (status && !generator_status) status = generator_status;
  if (status) status = applier.commit();
  if (!status) {
    applier.discard();
    return status.error().kind == ErrorKind::remote ? Result<SyncStats>(status.error()) : fail(status.error());
  }
  apply_directory_modes(applier.root(), entries);
  std::uint64_t deleted = 0;
  if (options.delete_extraneous) deleted = delete_extraneous(root, applier.root(), entries, options, shared);

  SyncStats stats;
  stats.files_total = entries.size();
  stats.files_transferred = applier.transferred();
  stats.files_deleted = deleted;
  stats.bytes_literal = literal;
  stats.bytes_matched = matched;
  {
    std::lock_guard lock(shared.mutex);
    stats.errors = shared.errors;
  }
  if (auto ok = writer.write(static_cast<std::uint8_t>(Msg::report), encode_report(stats)); !ok) return ok.error();
  if (auto ok = writer.flush(); !ok) return ok.error();
  stats.bytes_sent = writer.bytes_written();
  stats.bytes_received = reader.bytes_read();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return stats;
}

std::string stats_to_json(const SyncStats& stats) {
  std::string json = "{";
  auto field = [&](const char* name, const std::string& value) {
    if (json.size() > 1) json += ", ";
    json += std::string("\"") + name + "\": " + value;
  };
  field("files_total", std::to_string(stats.files_total));
  field("files_transferred", std::to_string(stats.files_transferred));
  field("files_deleted", std::to_string(stats.files_deleted));
  field("bytes_literal", std::to_string(stats.bytes_literal));
  field("bytes_matched", std::to_string(stats.bytes_matched));
  field("bytes_sent", std::to_string(stats.bytes_sent));
  field("bytes_received", std::to_string(stats.bytes_received));
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", stats.seconds);
  field("seconds", seconds);
  field("errors", std::to_string(stats.errors.size()));
  return json + "}";
}

}  // namespace choline::sync
