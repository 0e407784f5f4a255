#pragma once
// A path data entry as it is on the laptop: the list of what travels (the sync's file list) and
// its content id. The id is the digest of exactly that list (sync/tree_digest.hpp), so the host's
// cache, the sync and the model card's fingerprint all speak of the same bytes. Content hashes
// are remembered in <project>/.choline/data-hashes/, so an unchanged dataset is digested again
// from stat calls alone.

#include <choline/error.hpp>
#include <choline/spec/data_entry.hpp>
#include <choline/sync/manifest.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace choline::remote {

struct LocalData {
  std::filesystem::path root;  // what the listing is relative to: the directory, or a file's parent
  std::string file_name;       // a single-file entry: the file's name ("" for a directory)
  // What travels, modes without write bits: cached data is read-only on the host, and a version
  // seeded from the previous one shares its files' inodes.
  std::shared_ptr<const std::vector<sync::FileEntry>> entries;
  std::string id;           // "tree-<digest>": the name of this version in a host's cache
  std::string fingerprint;  // the digest alone, for the model card
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
};

// The project's "ignore" patterns as they apply inside a data entry (pure). Patterns without a
// directory part ("*.tmp", "cache/") apply everywhere; anchored ones apply when they reach into
// an entry inside the project ("data/raw/" in entry "data" becomes "/raw/"); other anchored ones
// do not apply. `project_relative` is "" for entries outside the project.
std::vector<std::string> data_ignore_patterns(const std::vector<std::string>& project_patterns,
                                              const std::string& project_relative);

// Scans and digests one path entry. .gitignore does not apply (data is named on purpose);
// .cholineignore files in it and `ignore` (choline.json's) do. A missing path is an error that
// names the entry's key.
Result<LocalData> scan_local_data(const spec::ResolvedData& entry, const std::filesystem::path& project_dir,
                                  const std::vector<std::string>& ignore);

}  // namespace choline::remote
