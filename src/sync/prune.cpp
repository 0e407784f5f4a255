#include "prune.hpp"

#include <choline/sync/ignore.hpp>
#include <choline/sync/path_safety.hpp>

#include <sys/stat.h>
#include <set>
#include <string>

namespace choline::sync {

void apply_directory_modes(SafeRoot& safe, const std::deque<FileEntry>& entries) {
  for (const auto& entry : entries) {
    if (entry.type != EntryType::directory || !validate_relative_path(entry.path)) continue;
    const auto [parent, name] = split_parent(entry.path);
    // The owner keeps rwx: a directory the next sync cannot write into would wedge every run.
    if (auto dir = safe.dir(parent, false)) ::fchmodat((*dir)->fd(), name.c_str(), entry.mode | 0700, 0);
  }
}

std::uint64_t delete_extraneous(const std::filesystem::path& root, SafeRoot& safe, const std::deque<FileEntry>& entries,
                                const SyncOptions& options, RequestLedger& ledger) {
  IgnoreRules rules = IgnoreRules::with_defaults();
  for (const auto& pattern : options.extra_ignore) rules.add_pattern(pattern);
  auto local = scan_tree(root, std::move(rules), options.ignore_files);
  if (!local) {
    ledger.add_error(root.string(), "cannot scan for deletion: " + local.error().message);
    return 0;
  }
  std::set<std::string> wanted;
  for (const auto& entry : entries) wanted.insert(entry.path);
  std::uint64_t deleted = 0;
  // The scan lists parents before children: backwards, a directory's contents go before it.
  for (auto it = local->rbegin(); it != local->rend(); ++it) {
    if (wanted.count(it->path)) continue;
    const auto [parent, name] = split_parent(it->path);
    auto dir = safe.dir(parent, false);
    if (!dir) continue;
    if (auto ok = remove_tree_at((*dir)->fd(), name); !ok) {
      ledger.add_error(it->path, "cannot delete: " + ok.error().message);
      continue;
    }
    safe.forget(it->path);
    ++deleted;
  }
  return deleted;
}

}  // namespace choline::sync
