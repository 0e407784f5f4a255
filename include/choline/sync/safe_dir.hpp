#pragma once
// File operations confined to a root directory. Every path is walked one component at a time
// with openat(O_NOFOLLOW | O_DIRECTORY), so a symlink planted anywhere in the tree (by a hostile
// peer or anyone else) can never redirect a write outside the root.

#include <choline/error.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <utility>

namespace choline::sync {

// Splits "a/b/c" into {"a/b", "c"} and "c" into {"", "c"}.
std::pair<std::string, std::string> split_parent(const std::string& path);

class SafeRoot {
 public:
  ~SafeRoot();
  SafeRoot(const SafeRoot&) = delete;
  SafeRoot& operator=(const SafeRoot&) = delete;
  SafeRoot(SafeRoot&& other) noexcept;

  // Opens (creating it and its parents if `create`) the root directory.
  static Result<SafeRoot> open(const std::filesystem::path& root, bool create);

  // An fd for directory `dir` ("" is the root), cached. With `create`, missing directories are
  // made (mode 0755); an existing non-directory in the way is an error, never followed.
  Result<int> dir(const std::string& dir, bool create);

  // Forgets cached fds at and below `dir` (after it was removed or replaced).
  void forget(const std::string& dir);

  int root_fd() const { return m_root_fd; }

 private:
  explicit SafeRoot(int fd) : m_root_fd(fd) {}
  int m_root_fd = -1;
  std::map<std::string, int> m_dirs;
};

// Removes `name` in `dir_fd`: a file or symlink is unlinked, a directory removed with everything
// in it, without following any symlink. Missing is success.
Status remove_tree_at(int dir_fd, const std::string& name);

}  // namespace choline::sync
