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
Error sys_error(const std::string& what) {
  return make_error(errno == ENOENT ? ErrorKind::not_found : ErrorKind::io, what + ": " + std::strerror(errno));
}
}  // namespace

std::pair<std::string, std::string> split_parent(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

SafeRoot::~SafeRoot() {
  for (auto& [name, fd] : m_dirs) ::close(fd);
  if (m_root_fd >= 0) ::close(m_root_fd);
}

SafeRoot::SafeRoot(SafeRoot&& other) noexcept : m_root_fd(other.m_root_fd), m_dirs(std::move(other.m_dirs)) {
  other.m_root_fd = -1;
  other.m_dirs.clear();
}

Result<SafeRoot> SafeRoot::open(const std::filesystem::path& root, bool create) {
  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(root, ec);
    if (ec) return make_error(ErrorKind::io, "cannot create " + root.string() + ": " + ec.message());
  }
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("cannot open directory " + root.string());
  return SafeRoot(fd);
}

Result<int> SafeRoot::dir(const std::string& dir, bool create) {
  if (dir.empty()) return m_root_fd;
  if (const auto it = m_dirs.find(dir); it != m_dirs.end()) return it->second;
  const auto [parent, name] = split_parent(dir);
  auto parent_fd = this->dir(parent, create);
  if (!parent_fd) return parent_fd;
  int fd = ::openat(*parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create) {
    if (::mkdirat(*parent_fd, name.c_str(), 0755) != 0 && errno != EEXIST) return sys_error("cannot create " + dir);
    fd = ::openat(*parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      return make_error(ErrorKind::protocol, "'" + dir + "' is a symlink or file where a directory is expected");
    }
    return sys_error("cannot open " + dir);
  }
  m_dirs.emplace(dir, fd);
  return fd;
}

void SafeRoot::forget(const std::string& dir) {
  for (auto it = m_dirs.begin(); it != m_dirs.end();) {
    if (it->first == dir || util::starts_with(it->first, dir + "/")) {
      ::close(it->second);
      it = m_dirs.erase(it);
    } else {
      ++it;
    }
  }
}

Status remove_tree_at(int dir_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? Status{} : Status(sys_error("cannot stat " + name));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) return sys_error("cannot remove " + name);
    return {};
  }
  const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return sys_error("cannot open " + name);
  DIR* handle = ::fdopendir(fd);
  if (!handle) {
    ::close(fd);
    return sys_error("cannot list " + name);
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
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) return sys_error("cannot remove " + name);
  return {};
}

}  // namespace choline::sync
