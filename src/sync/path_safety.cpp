#include <choline/sync/path_safety.hpp>

#include <choline/util/strings.hpp>

namespace choline::sync {

namespace {
Error unsafe(std::string_view path, const std::string& why) {
  return make_error(ErrorKind::protocol, "unsafe path '" + util::printable(path) + "' from peer: " + why);
}
}  // namespace

Status validate_relative_path(std::string_view path) {
  if (path.empty()) return unsafe(path, "empty path");
  if (path.size() > k_max_path_length) return unsafe(path, "longer than " + std::to_string(k_max_path_length) + " bytes");
  if (path.find('\0') != std::string_view::npos) return unsafe(path, "contains a NUL byte");
  if (path.front() == '/') return unsafe(path, "absolute path");
  for (const auto& part : util::split(path, '/')) {
    if (part.empty()) return unsafe(path, "empty path component");
    if (part == "." || part == "..") return unsafe(path, "'" + part + "' component");
    if (part.size() > k_max_name_length) return unsafe(path, "a component is longer than 255 bytes");
  }
  return {};
}

Status validate_symlink_target(std::string_view link_path, std::string_view target) {
  if (target.empty()) return unsafe(link_path, "symlink with an empty target");
  if (target.size() > k_max_path_length || target.find('\0') != std::string_view::npos) {
    return unsafe(link_path, "symlink target is too long or contains NUL");
  }
  if (target.front() == '/') return unsafe(link_path, "symlink to an absolute path '" + util::printable(target) + "'");
  // Depth of the directory holding the link: how many ".." it may climb.
  const auto link_parts = util::split(link_path, '/');
  const std::size_t depth = link_parts.size() - 1;
  std::size_t ups = 0;
  bool seen_name = false;
  for (const auto& part : util::split(target, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (seen_name) return unsafe(link_path, "symlink target '" + util::printable(target) + "' has '..' after a name");
      if (++ups > depth) return unsafe(link_path, "symlink target '" + util::printable(target) + "' leaves the root");
    } else {
      seen_name = true;
    }
  }
  return {};
}

}  // namespace choline::sync
