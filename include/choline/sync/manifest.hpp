#pragma once
// The file list a sync sends first: what exists under the source root, after ignore rules.

#include <choline/error.hpp>
#include <choline/sync/ignore.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace choline::sync {

enum class EntryType : std::uint8_t { file = 1, directory = 2, symlink = 3 };

struct FileEntry {
  std::string path;  // relative to the root, '/'-separated; parents come before children
  EntryType type = EntryType::file;
  std::uint32_t mode = 0644;  // permission bits only (no setuid/setgid/sticky)
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string link_target;  // symlinks only
  // Modified so recently that a later change could keep the same mtime: the receiver must not
  // trust size+mtime for it.
  bool racy = false;

  bool operator==(const FileEntry&) const = default;
};

// How close to the scan an mtime must be to count as racy. Covers file systems with coarse
// timestamps (1 s on some, 2 s on FAT).
inline constexpr std::int64_t k_racy_window_ns = 2'000'000'000;

// Walks `root` depth-first in name order, reading the ignore files `files` names in each
// directory on top of `rules`. Skips sockets, FIFOs and devices (they cannot be synced). Fails
// if root is not a directory; unreadable entries below it are skipped with a warning.
Result<std::vector<FileEntry>> scan_tree(const std::filesystem::path& root, IgnoreRules rules,
                                         IgnoreFiles files = IgnoreFiles::git_and_choline);

}  // namespace choline::sync
