#pragma once
// File operations confined to a root directory. Every path is walked one component at a time
// with openat(O_NOFOLLOW | O_DIRECTORY), so a symlink planted anywhere in the tree (by a hostile
// peer or anyone else) can never redirect a write outside the root.

#include <choline/error.hpp>
#include <choline/limits.hpp>

#include <filesystem>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace choline::sync {

// Splits "a/b/c" into {"a/b", "c"} and "c" into {"", "c"}.
std::pair<std::string, std::string> split_parent(const std::string& path);

// An open directory, closed when its last holder lets go: the cache may drop a directory while
// a caller still works in it.
class OpenDir {
 public:
  explicit OpenDir(int fd) : m_fd(fd) {}
  ~OpenDir();
  OpenDir(const OpenDir&) = delete;
  OpenDir& operator=(const OpenDir&) = delete;
  int fd() const { return m_fd; }

 private:
  int m_fd;
};
using DirRef = std::shared_ptr<const OpenDir>;

class SafeRoot {
 public:
  // Directories kept open between calls. Entries arrive in tree order, so a few dozen cover the
  // directories in use; keeping every one open exhausted `ulimit -n` on trees of 1,500
  // directories.
  static constexpr std::size_t k_cached_dirs = limits::k_cached_dirs;

  SafeRoot(const SafeRoot&) = delete;
  SafeRoot& operator=(const SafeRoot&) = delete;
  SafeRoot(SafeRoot&&) = default;  // std::list keeps its nodes: the cache's iterators stay valid
  SafeRoot& operator=(SafeRoot&&) = default;

  // Opens (creating it and its parents if `create`) the root directory.
  static Result<SafeRoot> open(const std::filesystem::path& root, bool create);

  // Directory `dir` ("" is the root). With `create`, missing directories are made (mode 0755);
  // an existing non-directory in the way is an error, never followed. Walks from the deepest
  // cached ancestor, holding at most two directories open on the way.
  Result<DirRef> dir(const std::string& dir, bool create);

  // Drops cached directories at and below `dir` (after it was removed or replaced).
  void forget(const std::string& dir);

  int root_fd() const { return m_root->fd(); }
  std::size_t cached() const { return m_cache.size(); }

 private:
  explicit SafeRoot(DirRef root) : m_root(std::move(root)) {}
  DirRef cached_dir(const std::string& dir);
  void remember(const std::string& dir, DirRef ref);

  DirRef m_root;
  // Most recently used first.
  std::list<std::pair<std::string, DirRef>> m_lru;
  std::unordered_map<std::string, std::list<std::pair<std::string, DirRef>>::iterator> m_cache;
};

// Removes `name` in `dir_fd`: a file or symlink is unlinked, a directory removed with everything
// in it, without following any symlink. Missing is success.
Status remove_tree_at(int dir_fd, const std::string& name);

}  // namespace choline::sync
