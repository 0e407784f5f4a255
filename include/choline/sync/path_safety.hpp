#pragma once
// Checks on paths that come from the other side of a sync. A host is a stranger's machine: a
// path it sends must name something inside the destination root, and a symlink it asks for must
// not point out of it.

#include <choline/error.hpp>
#include <choline/limits.hpp>

#include <string>
#include <string_view>

namespace choline::sync {

inline constexpr std::size_t k_max_path_length = limits::k_max_path_length;
inline constexpr std::size_t k_max_name_length = 255;

// A path relative to the sync root, '/'-separated: non-empty, not absolute, no empty, "." or
// ".." components, no NUL, within the length limits. Returns a protocol error saying which rule
// the path broke.
Status validate_relative_path(std::string_view path);

// A symlink at `link_path` (relative to the root) may point at `target` only if the target is
// relative, uses ".." only as leading components, and climbs no higher than the root. With
// every directory above the link being a real directory (the receiver never follows symlinks
// when it creates paths), such a target resolves inside the root even through other such links.
Status validate_symlink_target(std::string_view link_path, std::string_view target);

}  // namespace choline::sync
