#pragma once
// What a run's code and data were when they were pushed, for model cards: the project's git
// state, the choline.json, and a fingerprint of every dataset path it names under "data".
// Captured after each push to node 0 (the host whose checkpoints come home) into
// .choline/runs/<run>/provenance/attempt-<N>.json, N being the attempt about to start; an attempt
// that restarts on the same hosts (no push) uses the latest capture before it.
//
// Fingerprints of data (XXH3-128, hex) cover the sorted list of regular files under the path
// (symlinks to files followed, to directories not), each as "relative path \0 size \0 X \n", X
// being the file's content XXH3-128 when the whole set is at most
// k_content_fingerprint_limit bytes (method "contents"), else its mtime in nanoseconds (method
// "metadata": cheap for large sets, changes when a file is touched even if its bytes did not).

#include <choline/error.hpp>
#include <choline/records/run_record.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace choline::records {

inline constexpr std::uint64_t k_content_fingerprint_limit = 64ull << 20;
inline constexpr std::size_t k_max_fingerprint_files = 1'000'000;

struct DataFile {
  std::string relative;  // to the data path ("" for a single file's own entry: its name is used)
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string content_xxh3;  // hex; only for the "contents" method
};

// Pure: the fingerprint of a listing (sorted here by relative path), hex.
std::string fingerprint_listing(std::vector<DataFile> files, bool by_contents);

// {"path", "resolved", "kind": "file"|"directory"|"missing"|"unreadable", "files", "bytes",
// "method", "fingerprint", "note"}; `path` is relative to the project, absolute, or ~/...
// Never fails: what cannot be read is said in the result.
nlohmann::json data_fingerprint(const std::filesystem::path& project_dir, const std::string& path);

// {"root", "commit", "branch", "dirty", "diff_xxh3"} of the project through the git CLI, limited
// to the project directory and excluding choline's own .choline/. "diff_xxh3" hashes
// `git diff --binary HEAD` plus the names and contents of untracked, not ignored files (null
// when clean). Every field is null where the project is not in a git repository (or git is
// missing); "commit" is null in a repository without commits.
nlohmann::json git_state(const std::filesystem::path& project_dir);

// Everything above plus the config: {"captured_at", "project_dir", "git", "config_file",
// "config" (the file's JSON, comments dropped; null without a file), "purpose",
// "preprocessing", "data": [data_fingerprint...]}. `config_file` empty: <project>/choline.json.
nlohmann::json capture_provenance(const std::filesystem::path& project_dir, const std::string& config_file);

std::filesystem::path provenance_file(const RunRecord& record, int attempt);

// Captures the provenance for the attempt about to start (attempts so far + 1) and saves it.
// Never fails the caller: problems are logged as warnings.
void record_provenance(const RunRecord& record);

// The capture that applies to `attempt` (the newest at or before it), or null if none.
nlohmann::json provenance_for_attempt(const RunRecord& record, int attempt);

}  // namespace choline::records
