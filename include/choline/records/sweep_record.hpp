#pragma once
// sweep.json: the journal of one sweep (.choline/sweeps/<sweep>/sweep.json). Like run.json it is
// rewritten atomically before choline acts on what it says, so a laptop that dies at any point
// leaves a file that names every host the sweep's pool rented (recorded before it is used) and
// every trial's state. `choline sweep resume` reads it to re-attach running trials, requeue the
// lost ones and go on; `choline stop SWEEP` reads it to release everything.
//
// Each trial is a run under the sweep (.choline/runs/<sweep>-t<N>/): its logs, metrics,
// checkpoints and model cards are a run's, so `choline logs SWEEP/N` shows them.

#include <choline/error.hpp>
#include <choline/providers/provider.hpp>
#include <choline/spec/run_options.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace choline::records {

enum class TrialStatus {
  queued,    // waiting for a host (new, or requeued after its host died)
  running,   // its run holds a host
  stopped,   // stopped early by the stopper (at `rung`) or by the user
  finished,  // ran to its end
  failed,    // its script failed (after `tries` starts)
  lost,      // its host died and it could not go on; requeued unless out of tries
};
const char* to_string(TrialStatus status);
std::optional<TrialStatus> trial_status_from(const std::string& text);
// A trial in a final state is never started again.
bool is_final(TrialStatus status);

enum class SweepState { running, finished, stopped, failed };
const char* to_string(SweepState state);

// One exploit of population-based training: the trial took another trial's newest checkpoint
// and went on with that trial's parameters, perturbed.
struct PbtCopyRecord {
  std::int64_t resource = 0;  // the trial's resource when it was replaced
  int from_trial = 0;         // whose checkpoint it copied
  nlohmann::json params_before = nlohmann::json::object();
  std::string at;  // ISO 8601
};

// As sweep.json and `sweep status --json` write them, oldest first.
nlohmann::json copies_json(const std::vector<PbtCopyRecord>& copies);

struct TrialRecord {
  int id = 0;
  nlohmann::json params = nlohmann::json::object();
  TrialStatus state = TrialStatus::queued;
  std::string run_id;  // "<sweep>-t<id>"; its run record is .choline/runs/<run_id>/
  int rung = -1;       // stopped early at this rung (-1: not stopped by the stopper)
  std::string why;     // why it stopped, failed or was lost
  std::optional<double> best;
  std::optional<double> latest;
  std::int64_t resource = 0;  // the step or epoch its last metric came at
  std::string host;           // the host it runs or ran on last
  double cost = 0;            // USD, from its run's journal
  int tries = 0;              // starts (a requeued trial starts again, from its checkpoint)
  std::string started_at;
  std::string ended_at;
  // Population-based training: the resource at the trial's last check, and its exploits.
  std::int64_t perturbed_at = 0;
  std::vector<PbtCopyRecord> copies;
};

// A host of the sweep's pool: recorded before anything is done with it.
struct PoolHostRecord {
  providers::Host host;
  std::string rented_at;
  std::string released_at;  // "" while held
  std::string released_because;
  bool release_failed = false;  // giving it back failed: it may still be billing
};

struct SweepRecord {
  std::string id;
  std::string project_dir;
  std::string created_at;
  // How the configuration was given (the CLI's own shape: a file's text or the flags), so that
  // `sweep resume` rebuilds exactly the same configuration.
  nlohmann::json source = nlohmann::json::object();
  std::string entry;
  spec::RunOptions options;  // applies to every trial
  int parallel = 1;
  int max_trials = 0;
  std::optional<double> max_cost;
  std::uint64_t seed = 0;
  std::string metric;
  bool maximize = false;
  SweepState state = SweepState::running;
  std::string reason;  // why it ended
  std::vector<PoolHostRecord> hosts;
  std::vector<TrialRecord> trials;

  std::filesystem::path dir;  // .choline/sweeps/<id> (not stored)
  std::filesystem::path file() const { return dir / "sweep.json"; }
  // `choline stop SWEEP` asks the process driving the sweep to stop by creating this file.
  std::filesystem::path stop_file() const { return dir / "stop"; }
  // The pid of the process driving the sweep, while one does.
  std::filesystem::path driver_file() const { return dir / "driver.pid"; }

  TrialRecord* trial(int id);
  const TrialRecord* trial(int id) const;
  PoolHostRecord* host(const std::string& host_id);
  // The run id of trial `trial_id`: "<sweep>-t<N>".
  std::string trial_run_id(int trial_id) const;
  // What the pool's hosts cost so far, each from rented_at to released_at (or `now_epoch_s`).
  double spent(double now_epoch_s) const;

  Status save() const;
  nlohmann::json to_json() const;
};

// <project>/.choline/sweeps
std::filesystem::path sweeps_dir(const std::filesystem::path& project_dir);

// "sweep-20261123-152501-tr-3fa2".
std::string new_sweep_id(const std::string& entry);

// Creates .choline/sweeps/<id>/ and saves the first version; an error if the sweep exists.
Result<SweepRecord> create_sweep(const std::filesystem::path& project_dir, SweepRecord record);

// Reads a sweep.json, every field type-checked: not_found when missing, io when damaged.
Result<SweepRecord> load_sweep(const std::filesystem::path& sweep_dir);

// A sweep by id, unique id part, or the latest one when `id` is empty.
Result<SweepRecord> find_sweep(const std::filesystem::path& project_dir, const std::string& id);

// Every sweep id of the project, newest first.
std::vector<std::string> list_sweeps(const std::filesystem::path& project_dir);

// "SWEEP/7" (a trial of a sweep, as `choline logs SWEEP/7` takes it) as the trial's run id
// "SWEEP-t7"; nullopt for anything else.
std::optional<std::string> trial_run_ref(const std::string& ref);

}  // namespace choline::records
