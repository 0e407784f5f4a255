#include <choline/sync/safe_dir.hpp>

#include <choline/util/strings.hpp>

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace choline::sync {

namespace {
constexpr int k_dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
}  // namespace

std::pair<std::string, std::string> split_parent(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

OpenDir::~OpenDir() {
  if (m_fd >= 0) ::close(m_fd);
}

Result<SafeRoot> SafeRoot::open(const std::filesystem::path& root, bool create) {
  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(root, ec);
    if (ec) return make_error(ErrorKind::io, "cannot create " + root.string() + ": " + ec.message());
  }
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return error_from_errno("cannot open directory " + root.string());
  return SafeRoot(std::make_shared<const OpenDir>(fd));
}

DirRef SafeRoot::cached_dir(const std::string& dir) {
  const auto it = m_cache.find(dir);
  if (it == m_cache.end()) return nullptr;
  m_lru.splice(m_lru.begin(), m_lru, it->second);
  return it->second->second;
}

void SafeRoot::remember(const std::string& dir, DirRef ref) {
  m_lru.emplace_front(dir, std::move(ref));
  m_cache[dir] = m_lru.begin();
  while (m_lru.size() > k_cached_dirs) {
    m_cache.erase(m_lru.back().first);
    m_lru.pop_back();
  }
}

Result<DirRef> SafeRoot::dir(const std::string& dir, bool create) {
  if (dir.empty()) return m_root;
  if (DirRef hit = cached_dir(dir)) return hit;
  // The deepest ancestor we have open, then one component at a time from there.
  DirRef current = m_root;
  std::size_t done = 0;  // length of the prefix of `dir` that `current` is
  for (std::size_t slash = dir.rfind('/'); slash != std::string::npos && slash > 0; slash = dir.rfind('/', slash - 1)) {
    if (DirRef hit = cached_dir(dir.substr(0, slash))) {
      current = std::move(hit);
      done = slash + 1;
      break;
    }
  }
  while (done < dir.size()) {
    std::size_t end = dir.find('/', done);
    if (end == std::string::npos) end = dir.size();
    const std::string name = dir.substr(done, end - done);
    const std::string prefix = dir.substr(0, end);
    int fd = ::openat(current->fd(), name.c_str(), k_dir_flags);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(current->fd(), name.c_str(), 0755) != 0 && errno != EEXIST) return error_from_errno("cannot create " + prefix);
      fd = ::openat(current->fd(), name.c_str(), k_dir_flags);
    }
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        return make_error(ErrorKind::protocol, "'" + prefix + "' is a symlink or file where a directory is expected");
      }
      return error_from_errno("cannot open " + prefix);
    }
    current = std::make_shared<const OpenDir>(fd);
    remember(prefix, current);
    done = end + 1;
  }
  return current;
}

void SafeRoot::forget(const std::string& dir) {
  for (auto it = m_lru.begin(); it != m_lru.end();) {
    if (it->first == dir || util::starts_with(it->first, dir + "/")) {
      m_cache.erase(it->first);
      it = m_lru.erase(it);
    } else {
      ++it;
    }
  }
}

Status remove_tree_at(int dir_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? Status{} : Status(error_from_errno("cannot stat " + name));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) return error_from_errno("cannot remove " + name);
    return {};
  }
  const int fd = ::openat(dir_fd, name.c_str(), k_dir_flags);
  if (fd < 0) return error_from_errno("cannot open " + name);
  DIR* handle = ::fdopendir(fd);
  if (!handle) {
    ::close(fd);
    return error_from_errno("cannot list " + name);
  }
  std::vector<std::string> children;
  while (const dirent* item = ::readdir(handle)) {
    const std::string child = item->d_name;
    if (child != "." && child != "..") children.push_back(child);
  }
  Status status;
  for (const auto& child : children) {
    if (auto ok = remove_tree_at(::dirfd(handle), child); !ok && status) status = ok;
  }
  ::closedir(handle);
  if (!status) return status;
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) return error_from_errno("cannot remove " + name);
  return {};
}

}  // namespace choline::sync
