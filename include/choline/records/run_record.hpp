#pragma once
// run.json: the journal of one run. Every fact that matters for money or recovery (a host was
// created, an attempt started, a host was released) is appended as an event and the file is
// rewritten atomically before choline acts on it, so a crash at any point leaves a record that
// says which paid machines exist. The snapshot fields (state, hosts, attempts) are derived
// from the events as they are appended, for readers such as `choline status`.

#include <choline/error.hpp>
#include <choline/providers/provider.hpp>
#include <choline/records/journal_event.hpp>
#include <choline/spec/run_options.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace choline::records {

enum class RunState { provisioning, running, succeeded, failed, stopped, detached };
const char* to_string(RunState state);
std::optional<RunState> run_state_from(const std::string& text);
// A run in a final state holds no hosts and needs no further action.
bool is_final(RunState state);

enum class HostState { created, ready, released };

// One machine the run has held, as the provider described it. Released hosts stay in the
// record: the journal of what was paid for is never rewritten.
struct HostRecord {
  int node = 0;  // the node this host serves (a replacement serves the lost host's node)
  providers::Host host;
  HostState state = HostState::created;
  std::int64_t agent_pid = 0;    // the supervisor's pid on the host (local provider: a "host" to kill)
  std::string released_because;  // "lost: ...", "run finished", ...
  // Bytes of each rank's local log held before this host's first attempt: a replacement host's
  // logs start at 0, the laptop's one continuous log per rank does not.
  std::map<int, std::uint64_t> log_base;
};

// A host that stopped answering or died, and was replaced or given up on.
struct HostLoss {
  int node = 0;
  std::string host_id;
  std::string reason;
  std::string at;
};

struct AttemptRecord {
  int number = 1;
  std::string started_at;
  std::string ended_at;
  std::string resume_from;  // checkpoint the attempt started from, relative to the project
  std::optional<int> exit_code;
  std::string outcome;  // "succeeded", "failed: rank 1 exited 3", ...
};

struct RunRecord {
  std::string id;
  std::string project_dir;
  std::string created_at;
  std::vector<std::string> command;
  std::string entry;
  spec::RunOptions options;
  RunState state = RunState::provisioning;
  std::vector<HostRecord> hosts;  // every host ever held, in the order they were created
  std::vector<AttemptRecord> attempts;
  int restarts = 0;                   // gang restarts after a job failure
  std::vector<HostLoss> host_losses;  // hosts lost (counted apart from restarts)
  nlohmann::json events = nlohmann::json::array();
  int master_port = 0;

  std::filesystem::path dir;  // .choline/runs/<id> (not stored)

  std::filesystem::path logs_dir() const { return dir / "logs"; }
  std::filesystem::path checkpoints_dir() const { return dir / "checkpoints"; }
  std::filesystem::path file() const { return dir / "run.json"; }
  std::filesystem::path previous_file() const { return dir / "run.json.prev"; }
  std::filesystem::path metrics_file() const { return dir / "metrics.jsonl"; }

  // The host serving `node` now (not released), or nullptr.
  HostRecord* current_host(int node);
  const HostRecord* current_host(int node) const;

  // Appends an event (type + fields, timestamped) and saves. Returns the save's status: an
  // event that cannot be recorded must stop whatever it describes.
  Status journal(JournalEvent kind, nlohmann::json fields = nlohmann::json::object());

  // Records how the running attempt ended (its end time, outcome and exit code) and journals
  // attempt_ended. Nothing to do, and success, when no attempt is running.
  Status end_attempt(const std::string& outcome, std::optional<int> exit_code);
  Status save() const;
  nlohmann::json to_json() const;
};

// "20261123-152501-tr-3fa2": sortable by time, readable, unique enough for one project.
std::string new_run_id(const std::string& entry);

// Creates .choline/runs/<id>/ with logs/ and checkpoints/, and saves the first version.
Result<RunRecord> create_run(const std::filesystem::path& project_dir, RunRecord record);

// Reads .choline/runs/<id>/run.json, every field type-checked. A damaged run.json falls back to
// run.json.prev (the version before the last save) with a warning; not_found when the directory
// holds neither, an io error saying what is wrong otherwise.
Result<RunRecord> load_run(const std::filesystem::path& run_dir);

// A run whose record cannot be read: it must not vanish from `status`, since a paid host may be
// behind it.
struct DamagedRun {
  std::string id;              // the run's directory name
  std::filesystem::path file;  // its run.json
  std::string why;
};

struct RunList {
  std::vector<RunRecord> runs;  // newest first
  std::vector<DamagedRun> damaged;
};

// What to tell the user about a damaged run: what is wrong, where, and how to stop its hosts.
std::string damaged_run_advice(const DamagedRun& run);

// Finds a run by id, by unique id prefix, or the latest run when `id` is empty.
Result<RunRecord> find_run(const std::filesystem::path& project_dir, const std::string& id);

// Every run of the project, newest first, and the runs whose records are damaged.
RunList list_runs(const std::filesystem::path& project_dir);

}  // namespace choline::records
