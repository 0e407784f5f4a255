#pragma once
// The content digest of a tree as the sync lists it: the name of a dataset version in a host's
// data cache and the model card's data fingerprint, so the two always agree. XXH3-128 (hex) over
// one line per entry, sorted by path:
//
//   file     "<path>\0<size>\0<XXH3-128 of the content, hex>\n"
//   symlink  "<path>\0" "0\0link:<target>\n"
//   dir      "<path>\0" "0\0dir\n"
//
// Modes and times are left out: the same bytes under the same names are the same data. Content
// hashes are remembered per path with the size, mtime and inode they were taken at
// (FileHashes), so an unchanged tree is digested again from stat calls alone.

#include <choline/error.hpp>
#include <choline/sync/manifest.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::sync {

struct DigestItem {
  std::string path;
  EntryType type = EntryType::file;
  std::uint64_t size = 0;
  std::string content;  // files: content hash (hex); symlinks: the target; directories: unused
};

// Pure: the digest of these items (sorted here), 32 hex digits.
std::string digest_items(std::vector<DigestItem> items);

// Content hashes of files as they were when hashed. Files that were racy (modified within
// k_racy_window_ns of their scan) are never remembered: a later change could keep the mtime.
class FileHashes {
 public:
  struct Known {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::uint64_t inode = 0;
    std::string hash;  // hex
  };

  // The hash of `path` if it was taken when the file had this size, mtime and inode.
  std::optional<std::string> lookup(const std::string& path, std::uint64_t size, std::int64_t mtime_ns,
                                    std::uint64_t inode) const;
  void remember(const std::string& path, const Known& known) { m_known[path] = known; }
  std::size_t size() const { return m_known.size(); }

  // {"version": 1, "files": {"path": [size, mtime_ns, inode, "hash"], ...}}
  std::string to_json() const;
  // Anything malformed gives an empty cache (it only saves work).
  static FileHashes from_json(std::string_view text);

 private:
  std::map<std::string, Known> m_known;
};

struct TreeDigest {
  std::string digest;  // 32 hex digits
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  FileHashes hashes;  // of the listed files (for the next digest of the same tree)
};

// Digests `entries`, a scan of `root` (or, for a single file, its entry under its parent).
// Reads only files whose hash `known` lacks. A file that cannot be read fails the digest.
Result<TreeDigest> digest_tree(const std::filesystem::path& root, const std::vector<FileEntry>& entries,
                               const FileHashes& known);

// The XXH3-128 (hex) of a file's content.
Result<std::string> hash_file_content(const std::filesystem::path& path);

}  // namespace choline::sync
