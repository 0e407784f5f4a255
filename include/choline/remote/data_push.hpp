#pragma once
// Bringing a run's data entries to one host (the laptop's side of agent/data_stage.hpp). For
// each entry the host's agent is asked for that exact version by its content id: a host that
// holds it receives nothing; otherwise a path entry is synced into a stage the agent seeds with
// the newest cached version of the same source (so a changed dataset sends about its delta), and
// a url entry is downloaded by the host itself. Every entry is then linked at its `to` path in
// the run's working directory. The run's preparation calls stage_data for every host before its
// first attempt.

#include <choline/error.hpp>
#include <choline/remote/data_local.hpp>
#include <choline/spec/data_entry.hpp>
#include <choline/sync/protocol.hpp>
#include <choline/transport/transport.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace choline::remote {

// One host as stage_data needs it.
struct DataHost {
  transport::Transport* transport = nullptr;  // open, to the host
  std::vector<std::string> agent;  // the agent's command prefix there: {remote_agent_path(agent_dir), "agent"}
  std::string cache_dir;           // agent::data_cache_dir(host.agent_dir)
  std::string work_dir;            // the run's working directory on the host (host.root + "/project")
  std::string run_root;            // the run's directory on the host (host.root)
  std::string label;               // host.id, for messages and progress lines
};

// An entry ready to be staged on any number of hosts: path entries scanned and digested once
// on the laptop, url entries as they are.
struct PreparedData {
  spec::ResolvedData entry;
  std::optional<LocalData> local;  // path entries
  std::string id;                  // the content id on every host
  std::string fingerprint;         // the model card's fingerprint of it (the same hash)
};

// Scans and digests every path entry (remote/data_local.hpp); `ignore` is choline.json's.
Result<std::vector<PreparedData>> prepare_data(const std::vector<spec::ResolvedData>& entries,
                                               const std::filesystem::path& project_dir,
                                               const std::vector<std::string>& ignore);

struct DataStageOptions {
  std::optional<double> cache_gb;  // choline.json's data_cache_gb; unset: the host's default
  // Values of the variables listed in "env" (the ones a url entry's ${NAME} may use). They reach
  // the host on the agent's stdin only.
  std::map<std::string, std::string> env;
  bool progress = true;  // a progress step per entry
};

enum class DataAction { cached, sent, downloaded };
const char* to_string(DataAction action);

// What staging one entry on one host did, for progress lines and tests.
struct DataStageStats {
  std::string key;  // "data[1]"
  std::string to;
  std::string id;
  DataAction action = DataAction::cached;
  std::uint64_t files = 0;  // the entry's content
  std::uint64_t bytes = 0;
  std::uint64_t bytes_downloaded = 0;  // by the host, from the url
  sync::SyncStats sync;                // sent entries: the sync (bytes_literal: file data that crossed)
  double seconds = 0;

  // One entry as a run journals it (data_staged, read back by `choline data status`) and
  // `choline data push --json` prints it: key, to, id, action, files, bytes, and what crossed:
  // bytes_sent (on the wire), bytes_literal (file data), files_sent, bytes_downloaded. Tests and
  // scripts read these names.
  nlohmann::json to_json() const;
};

// Every entry's to_json(), in order.
nlohmann::json staged_json(const std::vector<DataStageStats>& staged);

// Stages every entry of `data` on `host`, in order, and links each into host.work_dir. Stops at
// the first failure, with an error that names the host and the entry's key ("gpu-1: data[2]
// (https://...): HTTP 404 (not found)"); the host's cache keeps nothing half-built.
Result<std::vector<DataStageStats>> stage_data(const DataHost& host, const std::vector<PreparedData>& data,
                                               const DataStageOptions& options);

}  // namespace choline::remote
