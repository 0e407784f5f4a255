#include <choline/agent/data_cache.hpp>

#include <choline/agent/supervisor.hpp>
#include <choline/limits.hpp>
#include <choline/sync/safe_dir.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>
#include <choline/util/hash.hpp>
#include <choline/util/json.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

namespace choline::agent {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* k_meta_file = "meta.json";
constexpr const char* k_hashes_file = "hashes.json";
constexpr const char* k_users_dir = "users";
constexpr const char* k_data_dir = "data";
constexpr const char* k_stage_prefix = ".stage-";
constexpr const char* k_evict_prefix = ".evict-";
constexpr std::chrono::milliseconds k_lock_poll{200};

Error sys_error(const std::string& what) {
  return make_error(ErrorKind::io, what + ": " + std::strerror(errno));
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t mtime_s(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec);
}

json meta_to_json(const DataEntryMeta& meta) {
  return {{"id", meta.id},       {"source", meta.source}, {"target", meta.target},
          {"files", meta.files}, {"bytes", meta.bytes},   {"created", meta.created}};
}

std::optional<DataEntryMeta> meta_from_file(const fs::path& file) {
  auto text = util::read_file(file, limits::k_max_json_file);
  if (!text) return std::nullopt;
  auto parsed = util::parse_json(*text, limits::k_max_json_depth);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  util::JsonReader in(*parsed, file.string());
  DataEntryMeta meta{in.string("id"),       in.string("source"),   in.string("target"),
                     in.uint64("files", 0), in.uint64("bytes", 0), in.string("created")};
  if (!in.ok() || !is_data_id(meta.id)) return std::nullopt;
  // What runs link to must stay inside the entry's data.
  if (meta.target != k_data_dir &&
      (meta.target.rfind("data/", 0) != 0 || meta.target.find("/..") != std::string::npos)) {
    return std::nullopt;
  }
  return meta;
}

// Walks `root` (not following symlinks) and chmods: directories with `dir_mode`, and regular
// files with their write bits dropped when `read_only_files`.
void chmod_tree(const fs::path& root, mode_t dir_mode, bool read_only_files) {
  std::error_code ec;
  // Parents first when opening up (so children can be reached), children first when closing.
  std::vector<fs::path> dirs = {root};
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const auto status = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_directory(status)) {
      if (dir_mode & S_IWUSR) ::chmod(it->path().c_str(), dir_mode);
      dirs.push_back(it->path());
    } else if (fs::is_regular_file(status) && read_only_files) {
      struct stat st {};
      if (::lstat(it->path().c_str(), &st) == 0) ::chmod(it->path().c_str(), st.st_mode & 07555);
    }
  }
  if (!(dir_mode & S_IWUSR)) {
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) ::chmod(it->c_str(), dir_mode);
  } else {
    ::chmod(root.c_str(), dir_mode);
  }
}

// Removes a directory whose subdirectories may be read-only.
void remove_entry_tree(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return;
  ::chmod(path.c_str(), 0755);
  if (fs::is_directory(fs::symlink_status(path / k_data_dir, ec))) chmod_tree(path / k_data_dir, 0755, false);
  fs::remove_all(path, ec);
  if (ec) spdlog::warn("data cache: cannot remove {}: {}", path.string(), ec.message());
}

std::string mark_name(const std::string& run_root, const std::string& link) {
  util::Hash128 hash;
  const std::string key = run_root + '\n' + link;
  hash.update(key.data(), key.size());
  return util::to_hex(hash.digest());
}

}  // namespace

DataLock::~DataLock() {
  if (m_fd >= 0) ::close(m_fd);  // closing the last descriptor releases the flock
}

Result<DataCache> DataCache::open(const fs::path& dir) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(dir, ec).lexically_normal();
  fs::create_directories(absolute / "locks", ec);
  if (ec) return make_error(ErrorKind::io, "cannot create the data cache " + absolute.string() + ": " + ec.message());
  return DataCache(absolute);
}

Result<DataLock> DataCache::lock(const std::string& id, const std::function<void()>& on_wait) const {
  const fs::path path = m_dir / "locks" / (id + ".lock");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error("cannot open " + path.string());
  DataLock lock(fd);
  const auto started = std::chrono::steady_clock::now();
  auto noticed = started;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) return sys_error("cannot lock " + path.string());
    const auto now = std::chrono::steady_clock::now();
    if (now - started > k_data_lock_wait) {
      return make_error(ErrorKind::timeout, "another staging of " + id + " has held it for over " +
                                                std::to_string(k_data_lock_wait.count() / 3600) + " h");
    }
    if (on_wait && now - noticed >= k_data_lock_notice) {
      on_wait();
      noticed = now;
    }
    std::this_thread::sleep_for(k_lock_poll);
  }
  return lock;
}

std::optional<DataLock> DataCache::try_lock(const std::string& id) const {
  const fs::path path = m_dir / "locks" / (id + ".lock");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return std::nullopt;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  return DataLock(fd);
}

std::optional<DataEntryMeta> DataCache::published(const std::string& id) const {
  if (!is_data_id(id)) return std::nullopt;
  auto meta = meta_from_file(entry_dir(id) / k_meta_file);
  if (!meta || meta->id != id) return std::nullopt;
  return meta;
}

std::optional<DataEntryMeta> DataCache::newest_from(const std::string& source) const {
  std::optional<DataEntryMeta> newest;
  std::error_code ec;
  for (fs::directory_iterator it(m_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!is_data_id(name)) continue;
    auto meta = published(name);
    // ISO 8601 times in UTC sort as text.
    if (meta && meta->source == source && (!newest || meta->created > newest->created)) newest = meta;
  }
  return newest;
}

sync::FileHashes DataCache::hashes_of(const std::string& id) const {
  auto text = util::read_file(entry_dir(id) / k_hashes_file, limits::k_max_json_file * 16);
  return text ? sync::FileHashes::from_json(*text) : sync::FileHashes{};
}

Result<fs::path> DataCache::begin_stage(const std::string& id) const {
  std::error_code ec;
  const std::string prefix = std::string(k_stage_prefix) + id + ".";
  for (fs::directory_iterator it(m_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind(prefix, 0) == 0) remove_entry_tree(it->path());
  }
  static std::atomic<unsigned> counter{0};
  const fs::path stage = m_dir / (prefix + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(stage / k_data_dir, ec);
  if (ec) return make_error(ErrorKind::io, "cannot create " + stage.string() + ": " + ec.message());
  return stage;
}

Status DataCache::seed_stage(const fs::path& stage, const std::string& base) const {
  const fs::path from = entry_dir(base) / k_data_dir;
  const fs::path to = stage / k_data_dir;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path relative = it->path().lexically_relative(from);
    const auto status = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_directory(status)) {
      if (::mkdir((to / relative).c_str(), 0755) != 0 && errno != EEXIST)
        return sys_error("cannot seed " + (to / relative).string());
    } else if (fs::is_symlink(status)) {
      const fs::path target = fs::read_symlink(it->path(), ec);
      if (!ec) fs::create_symlink(target, to / relative, ec);
      ec.clear();
    } else if (fs::is_regular_file(status)) {
      // A file that cannot be linked (another file system, too many links) is sent again.
      if (::link(it->path().c_str(), (to / relative).c_str()) != 0) {
        spdlog::debug("data cache: cannot link {}: {}", it->path().string(), std::strerror(errno));
      }
    }
  }
  if (ec) return make_error(ErrorKind::io, "cannot seed from " + from.string() + ": " + ec.message());
  return {};
}

Status DataCache::publish(const fs::path& stage, const DataEntryMeta& meta, const sync::FileHashes& hashes) const {
  if (!is_data_id(meta.id)) return make_error(ErrorKind::internal, "bad data id " + meta.id);
  chmod_tree(stage / k_data_dir, 0555, true);
  if (auto ok = util::write_file_atomic(stage / k_hashes_file, hashes.to_json()); !ok) return ok;
  if (auto ok = util::write_file_atomic(stage / k_meta_file, util::dump_json(meta_to_json(meta), 1) + "\n"); !ok)
    return ok;
  // Everything in the stage reaches the disk before the entry appears under its id.
  const int fd = ::open(stage.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::syncfs(fd);
    ::close(fd);
  }
  if (fs::exists(entry_dir(meta.id))) remove_entry_tree(entry_dir(meta.id));  // a damaged copy (no meta)
  if (::rename(stage.c_str(), entry_dir(meta.id).c_str()) != 0) return sys_error("cannot publish " + meta.id);
  return {};
}

void DataCache::discard(const fs::path& stage) const {
  remove_entry_tree(stage);
}

Status DataCache::use(const DataEntryMeta& meta, const fs::path& work_dir, const std::string& to,
                      const std::string& run_root) const {
  const std::string target = (entry_dir(meta.id) / meta.target).string();
  auto root = sync::SafeRoot::open(work_dir, true);
  if (!root) return root.error();
  const auto [parent, name] = sync::split_parent(to);
  auto dir = root->dir(parent, true);
  if (!dir) return dir.error().with_context("cannot make the place for " + to + " in " + work_dir.string());
  const int dir_fd = (*dir)->fd();
  // The link replaces what was there in one rename; a directory (the project's own copy of the
  // data, say) is removed first.
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
    if (auto ok = sync::remove_tree_at(dir_fd, name); !ok) return ok;
  }
  const std::string temp = ".choline-link-" + std::to_string(::getpid()) + "-" + name;
  ::unlinkat(dir_fd, temp.c_str(), 0);
  if (::symlinkat(target.c_str(), dir_fd, temp.c_str()) != 0) return sys_error("cannot link " + to);
  if (::renameat(dir_fd, temp.c_str(), dir_fd, name.c_str()) != 0) {
    Error error = sys_error("cannot link " + to);
    ::unlinkat(dir_fd, temp.c_str(), 0);
    return error;
  }
  const std::string link = (work_dir / to).lexically_normal().string();
  const fs::path users = entry_dir(meta.id) / k_users_dir;
  std::error_code ec;
  fs::create_directories(users, ec);
  const json mark = {{"run_root", run_root}, {"link", link}, {"staged_at", now_s()}};
  if (auto ok = util::write_file_atomic(users / mark_name(run_root, link), util::dump_json(mark) + "\n"); !ok)
    return ok;
  const struct timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  ::utimensat(AT_FDCWD, (entry_dir(meta.id) / k_meta_file).c_str(), times, 0);
  return {};
}

bool DataCache::held(const std::string& id) const {
  const auto meta = published(id);
  if (!meta) return false;
  const std::string target = (entry_dir(id) / meta->target).string();
  std::error_code ec;
  bool holding = false;
  for (fs::directory_iterator it(entry_dir(id) / k_users_dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto text = util::read_file(it->path(), 1 << 16);
    auto mark = text ? util::parse_json(*text, limits::k_max_json_depth) : Result<json>(make_error(ErrorKind::io, ""));
    bool holds = false;
    if (mark && mark->is_object()) {
      util::JsonReader in(*mark, "mark");
      const std::string run_root = in.string("run_root");
      const std::string link = in.string("link");
      std::error_code link_ec;
      const bool points_here = !link.empty() && fs::read_symlink(link, link_ec).string() == target;
      const AgentLayout layout{run_root};
      auto state = read_state(layout);
      const bool running = state && !state_is_final(*state) && supervisor_responsive(*state);
      const std::int64_t activity = std::max(in.int64("staged_at", 0), mtime_s(layout.state_file()));
      holds = mark_holds(points_here, running, activity, now_s());
    }
    // A mark that no longer holds (the run moved on, or ended long ago) is cleared.
    if (!holds) ::unlink(it->path().c_str());
    holding = holding || holds;
  }
  return holding;
}

std::vector<CachedEntry> DataCache::entries() const {
  std::vector<CachedEntry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(m_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    auto meta = published(name);
    if (!meta) continue;
    entries.push_back({name, meta->bytes, mtime_s(it->path() / k_meta_file), held(name)});
  }
  return entries;
}

std::uint64_t DataCache::total_bytes() const {
  std::uint64_t total = 0;
  for (const auto& entry : entries()) total += entry.bytes;
  return total;
}

std::uint64_t DataCache::free_bytes() const {
  struct statvfs fs_info {};
  if (::statvfs(m_dir.c_str(), &fs_info) != 0) return 0;
  return static_cast<std::uint64_t>(fs_info.f_bavail) * fs_info.f_frsize;
}

std::vector<std::string> DataCache::evict(std::uint64_t limit, std::uint64_t incoming) const {
  std::vector<std::string> evicted;
  // Stagings nobody works on any more (the agent that made them was killed).
  std::error_code ec;
  for (fs::directory_iterator it(m_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(k_evict_prefix, 0) == 0) remove_entry_tree(it->path());
    if (name.rfind(k_stage_prefix, 0) != 0) continue;
    // .stage-<id>.<pid>-<n>: a staging holds its id's lock for as long as it works.
    const std::string id = name.substr(std::string(k_stage_prefix).size())
                               .substr(0, name.find('.', 1) - std::string(k_stage_prefix).size());
    if (auto lock = is_data_id(id) ? try_lock(id) : std::nullopt) remove_entry_tree(it->path());
  }
  for (const auto& id : plan_eviction(entries(), limit, incoming)) {
    auto lock = try_lock(id);
    if (!lock || held(id)) continue;  // being staged or used right now
    // Out of sight under its id at once, then removed at leisure.
    const fs::path away = m_dir / (std::string(k_evict_prefix) + id + "-" + std::to_string(::getpid()));
    if (::rename(entry_dir(id).c_str(), away.c_str()) != 0) continue;
    remove_entry_tree(away);
    evicted.push_back(id);
  }
  return evicted;
}

}  // namespace choline::agent
