#pragma once
// The decisions of a host's data cache (agent/data_cache.hpp), pure: how entries are named,
// where the cache lives, which entries a size limit evicts, and whether a run still holds an
// entry. The cache itself does the file system work.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace choline::agent {

// An entry's id is its content: "tree-<32 hex>" for a file or directory synced from the laptop
// (its sync::TreeDigest), "sha256-<64 hex>" for a download kept as it is, and
// "sha256-<64 hex>-extracted" for an unpacked archive.
std::string tree_data_id(std::string_view digest);
std::string url_data_id(std::string_view sha256, bool extract);
// True for ids of those shapes only (lowercase hex): an id becomes a directory name.
bool is_data_id(std::string_view id);
// The fingerprint part of an id (the digest or the sha256), for model cards.
std::string data_id_fingerprint(std::string_view id);

// The cache beside the host's shared agent directory: <agent_dir>/../data ("~/choline/agent" ->
// "~/choline/data"; the local provider's $CHOLINE_HOME/agent -> $CHOLINE_HOME/data).
std::string data_cache_dir(const std::string& agent_dir);

// A limit set by nobody: this share of what the disk could give the cache (its free space
// plus what the cache holds already), so checkpoints and outputs keep the rest.
inline constexpr int k_default_cache_share_percent = 50;
std::uint64_t default_cache_limit(std::uint64_t free_bytes, std::uint64_t cache_bytes);

struct CachedEntry {
  std::string id;
  std::uint64_t bytes = 0;
  std::int64_t last_used_s = 0;  // unix seconds
  bool in_use = false;           // a run holds it (see mark_holds)
};

// The ids to evict, least recently used first, so that the cache plus `incoming` bytes fits in
// `limit`. Entries in use are never chosen; when they alone exceed the limit, every other entry
// goes and the cache stays over it.
std::vector<std::string> plan_eviction(std::vector<CachedEntry> entries, std::uint64_t limit, std::uint64_t incoming);

// How long after its last sign of life (staging, or its job's last state change) a run's mark
// keeps holding an entry when the run's job is not running: covers the setup between staging
// and launch, and the pause between one attempt and the next.
inline constexpr std::int64_t k_mark_grace_s = 6 * 3600;

// A run holds an entry while the link in its working directory still points at the entry and
// its job runs or was active within k_mark_grace_s.
bool mark_holds(bool link_points_here, bool job_running, std::int64_t last_activity_s, std::int64_t now_s);

}  // namespace choline::agent
