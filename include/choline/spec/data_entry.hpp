#pragma once
// The "data" key of choline.json: datasets that travel to every host. Each entry is a path on
// this machine (inside the project or anywhere, ~ expanded) or a URL the host downloads itself:
//
//   "data": ["data",
//            {"path": "~/datasets/fmnist", "to": "data/fmnist"},
//            {"url": "https://example.org/train.tar.zst", "sha256": "…", "to": "data/train", "extract": true,
//             "headers": {"Authorization": "Bearer ${HF_TOKEN}"}}]
//
// Workers see each entry at its `to` path under their working directory. `${NAME}` in a URL or
// a header value names a variable listed in "env": its value is read on this machine when the
// data is staged and reaches the host only on the agent's stdin. Pure: parsing and resolving take
// values and return values or errors that name the key ("data[2].sha256").

#include <choline/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::spec {

// One entry as written.
struct DataEntry {
  std::string path;      // a local path (relative to the project, absolute, or ~/...); empty for a url
  std::string url;       // http(s)://..., may hold ${NAME}; empty for a path
  std::string sha256;    // lowercase hex; required with a url
  std::string to;        // where workers see it, relative to their working directory; empty: the default
  bool extract = false;  // url only: unpack a .tar, .tar.gz, .tar.zst or .zip
  std::map<std::string, std::string> headers;  // url only; values may hold ${NAME}

  bool operator==(const DataEntry&) const = default;
};

// A problem with one key, e.g. {"data[2].sha256", "required for a url entry"}.
struct KeyProblem {
  std::string key;
  std::string message;
};

// Parses element `index` of "data" (a string or an object). Problems are appended to `problems`;
// returns the entry when there were none.
std::optional<DataEntry> parse_data_entry(const nlohmann::json& value, std::size_t index,
                                          std::vector<KeyProblem>& problems);

// The entry as parse_data_entry reads it back: a path entry without `to` is the bare path; other
// entries are objects with the keys that are set. (run.json keeps a run's entries this way.)
nlohmann::json data_entry_to_json(const DataEntry& entry);

// Checks what needs the whole file: every ${NAME} is listed in `env`.
void check_data_env_refs(const std::vector<DataEntry>& entries, const std::vector<std::string>& env,
                         std::vector<KeyProblem>& problems);

// The names referenced as ${NAME} in `text`, or what is malformed ("${" without "}", a bad name).
Result<std::vector<std::string>> env_refs(std::string_view text);

// `text` with every ${NAME} replaced by env[NAME]; an error naming the first one missing.
Result<std::string> expand_env_refs(std::string_view text, const std::map<std::string, std::string>& env);

// An entry made concrete for this machine and project.
struct ResolvedData {
  std::string key;  // "data[2]", for messages
  enum class Kind { path, url } kind = Kind::path;
  std::filesystem::path source;  // path entries: absolute and normalized
  bool inside_project = false;   // path entries: source is under the project directory
  std::string project_relative;  // path entries inside the project: source relative to it, '/'-separated
  std::string url;               // url entries, ${NAME} not yet expanded
  std::string sha256;
  bool extract = false;
  std::map<std::string, std::string> headers;
  std::string to;  // normalized, relative to the working directory

  bool operator==(const ResolvedData&) const = default;
};

// Resolves every entry against `project_dir` (absolute) and `home` (for ~/). Fails (usage) when
// an entry has no usable `to` (a url that names no file, the root directory), when a `to` is not
// a plain relative path inside the working directory, or when two entries' `to` paths overlap.
Result<std::vector<ResolvedData>> resolve_data_entries(const std::vector<DataEntry>& entries,
                                                       const std::filesystem::path& project_dir,
                                                       const std::filesystem::path& home);

// Ignore patterns for the project push: data travels on its own, so neither the sources of
// entries inside the project nor the `to` paths (where the host links the data) go with the code.
std::vector<std::string> project_push_ignores(const std::vector<ResolvedData>& entries);

}  // namespace choline::spec
