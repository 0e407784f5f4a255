#pragma once
// A host's data cache: every dataset version a run on this host used, named by its content
// (agent/data_cache_policy.hpp), shared by every run, sweep trial and replacement on the host.
//
//   <cache>/locks/<id>.lock        flock: one staging (or eviction) of an id at a time
//   <cache>/<id>/meta.json         what it is and where it came from; its mtime is "last used"
//   <cache>/<id>/hashes.json       content hashes of its files (sync::FileHashes), for the next
//                                  version's digest
//   <cache>/<id>/users/<key>       in-use marks: a run that links the entry
//   <cache>/<id>/data/             the content, read-only (files and directories)
//   <cache>/.stage-<id>.<pid>-<n>/ an entry being built; renamed to <id> when complete, so a
//                                  half-written entry is never seen under its id
//
// Runs see an entry through a symlink at its `to` path in their working directory.

#include <choline/agent/data_cache_policy.hpp>
#include <choline/error.hpp>
#include <choline/sync/tree_digest.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace choline::agent {

// How long a staging waits for another staging of the same id before giving up, and how often
// it says that it waits.
inline constexpr std::chrono::seconds k_data_lock_wait{6 * 3600};
inline constexpr std::chrono::seconds k_data_lock_notice{5};

struct DataEntryMeta {
  std::string id;
  std::string source;  // "path:<laptop path>" or the url as written (never with credentials)
  std::string target;  // what runs link to, relative to the entry: "data" or "data/<name>"
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::string created;  // ISO 8601
};

// An exclusive hold on one id; released when destroyed (or when the process dies).
class DataLock {
 public:
  explicit DataLock(int fd) : m_fd(fd) {}
  DataLock(DataLock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
  DataLock& operator=(DataLock&&) = delete;
  ~DataLock();

 private:
  int m_fd;
};

class DataCache {
 public:
  // Opens the cache at `dir` (made absolute), creating it.
  static Result<DataCache> open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return m_dir; }
  std::filesystem::path entry_dir(const std::string& id) const { return m_dir / id; }

  // Waits (up to k_data_lock_wait, calling `on_wait` every k_data_lock_notice) for the id's lock.
  Result<DataLock> lock(const std::string& id, const std::function<void()>& on_wait = {}) const;
  // The lock if nobody holds it now.
  std::optional<DataLock> try_lock(const std::string& id) const;

  // The meta of a published entry, or nullopt.
  std::optional<DataEntryMeta> published(const std::string& id) const;
  // The most recently created published entry from `source`: the base for a new version's delta.
  std::optional<DataEntryMeta> newest_from(const std::string& source) const;
  // The file hashes an entry recorded (empty when it has none).
  sync::FileHashes hashes_of(const std::string& id) const;

  // A fresh staging directory for `id`, with an empty data/ in it. Stale stagings of the id
  // (a killed agent's) are removed first: the caller holds the id's lock.
  Result<std::filesystem::path> begin_stage(const std::string& id) const;
  // Fills stage/data with hard links to `base`'s files (directories made, symlinks copied), so
  // that a sync into it moves only what changed.
  Status seed_stage(const std::filesystem::path& stage, const std::string& base) const;
  // Makes stage/data read-only, writes meta.json (and hashes.json), and renames the stage to
  // meta.id. The caller holds the id's lock.
  Status publish(const std::filesystem::path& stage, const DataEntryMeta& meta, const sync::FileHashes& hashes) const;
  // Removes a stage that will not be published.
  void discard(const std::filesystem::path& stage) const;

  // Points `link` (absolute, inside `work_dir`) at the entry, replacing what was there, marks the
  // entry as used by `run_root` and refreshes its last use. The caller holds the id's lock.
  Status use(const DataEntryMeta& meta, const std::filesystem::path& work_dir, const std::string& to,
             const std::string& run_root) const;

  // Every published entry, with whether a run holds it.
  std::vector<CachedEntry> entries() const;
  // Evicts entries not in use, least recently used first, until the cache plus `incoming`
  // fits in `limit`; entries whose lock is held elsewhere are skipped. Returns the evicted ids.
  std::vector<std::string> evict(std::uint64_t limit, std::uint64_t incoming) const;
  // The bytes the published entries hold.
  std::uint64_t total_bytes() const;
  // Free bytes on the cache's file system.
  std::uint64_t free_bytes() const;

 private:
  explicit DataCache(std::filesystem::path dir) : m_dir(std::move(dir)) {}
  bool held(const std::string& id) const;
  std::filesystem::path m_dir;
};

}  // namespace choline::agent
