#pragma once
// What a run's code and data were when they were pushed, for model cards: the project's git
// state, the choline.json, and the fingerprint of every data entry the run staged. Captured after
// each push to node 0 (the host whose checkpoints come home) into
// .choline/runs/<run>/provenance/attempt-<N>.json, N being the attempt about to start; an attempt
// that restarts on the same hosts (no push) uses the latest capture before it.
//
// A data entry's fingerprint is the hash the hosts' data caches name it by, handed in by the run
// layer: the tree digest of a path entry (sync/tree_digest.hpp, XXH3-128 over every file's path,
// size and content hash) or the sha256 of a url entry. The model card and the cache never differ.

#include <choline/error.hpp>
#include <choline/records/run_record.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace choline::records {

// One data entry as the run staged it.
struct DataProvenance {
  std::string key;                     // "data[0]"
  std::string path;                    // the path on this machine, or the url as written (never a credential)
  std::string to;                      // where workers see it, relative to their working directory
  std::string kind;                    // "directory", "file" or "url"
  std::string method;                  // "tree-xxh3" (path entries) or "sha256" (url entries)
  std::string fingerprint;             // hex
  std::string id;                      // the version's name in a host's data cache
  std::optional<std::uint64_t> files;  // unknown for a url entry not yet downloaded
  std::optional<std::uint64_t> bytes;
};

// {"key", "path", "to", "kind", "files", "bytes", "method", "fingerprint", "id"}.
nlohmann::json data_provenance_json(const DataProvenance& data);

// {"root", "commit", "branch", "dirty", "diff_xxh3"} of the project through the git CLI, limited
// to the project directory and excluding choline's own .choline/. "diff_xxh3" hashes
// `git diff --binary HEAD` plus the names and contents of untracked, not ignored files (null
// when clean). Every field is null where the project is not in a git repository (or git is
// missing); "commit" is null in a repository without commits.
nlohmann::json git_state(const std::filesystem::path& project_dir);

// Everything above plus the config: {"captured_at", "project_dir", "git", "config_file",
// "config" (the file's JSON, comments dropped; null without a file), "purpose",
// "preprocessing", "data": [data_provenance_json...]}. `config_file` empty: <project>/choline.json.
// `git`: git_state() of the project taken by the caller (e.g. while the project is pushed, so a
// sweep's next trial does not wait for git's processes); unset: taken here.
nlohmann::json capture_provenance(const std::filesystem::path& project_dir, const std::string& config_file,
                                  const std::vector<DataProvenance>& data,
                                  const std::optional<nlohmann::json>& git = std::nullopt);

std::filesystem::path provenance_file(const RunRecord& record, int attempt);

// Captures the provenance for the attempt about to start (attempts so far + 1) and saves it.
// Never fails the caller: problems are logged as warnings. `git` as for capture_provenance.
void record_provenance(const RunRecord& record, const std::vector<DataProvenance>& data,
                       const std::optional<nlohmann::json>& git = std::nullopt);

// The capture that applies to `attempt` (the newest at or before it), or null if none.
nlohmann::json provenance_for_attempt(const RunRecord& record, int attempt);

}  // namespace choline::records
