#pragma once
// Checkpoints at home are verified before a run resumes from one. A pull lands a checkpoint only
// whole (the sync engine checks the XXH3-128 of what arrived against the host's file, then
// renames it into place), and temp names (*.tmp, *.partial, dot files) never travel. After each
// pull, the size and XXH3-128 of every new or changed checkpoint are recorded in
// .choline/runs/<run>/checkpoints.json; the checkpoint a new attempt resumes from is the newest
// one whose file still matches its record, so a copy that was cut short or damaged on the laptop
// is passed over for the previous complete one.

#include <choline/records/run_record.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace choline::records {

struct CheckpointEntry {
  std::string name;  // relative to the run's checkpoint directory
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string xxh3;  // hex
};

// The size, mtime and hash of a file, or nullopt if it cannot be read.
std::optional<CheckpointEntry> describe_file(const std::filesystem::path& dir, const std::string& name);

// What checkpoints.json records of the run's checkpoints (empty if nothing yet).
std::vector<CheckpointEntry> recorded_checkpoints(const RunRecord& record);

// Records checkpoints under the run's checkpoint directory that are new, and with `changed`
// (right after a pull) also those a pull replaced.
Status record_checkpoints(const RunRecord& record, bool changed_too = true);

// Pure: among `recorded`, the newest (by mtime, then name) complete checkpoint whose file as it
// is now (`current`) still has the recorded size and hash. Temp names never qualify.
std::optional<std::string> newest_intact(
    const std::vector<CheckpointEntry>& recorded,
    const std::function<std::optional<CheckpointEntry>(const std::string&)>& current);

// The checkpoint to resume from, as a path relative to the project ("" if none): records files
// not recorded yet (a pull the laptop did not live to record lands whole all the same), then
// takes the newest intact one.
std::string checkpoint_to_resume(const RunRecord& record);

// Whether the run's checkpoint directory at home holds a checkpoint (a directory walk, no hashing).
bool has_checkpoint_files(const RunRecord& record);

// Population-based training's exploit: `to`'s checkpoints are replaced by `from`'s. A new
// directory gets every checkpoint of `from`'s under the same name (a hard link: pulls and cards
// replace files by renaming, never in place; copied with its mtime where a link fails), so the
// newest stays the newest; it then takes the place of `to`'s, whose index is rebuilt from the
// files. Returns what `to` now resumes from, as checkpoint_to_resume does. An error (`from` has no
// checkpoint at home, a copy failed) leaves `to`'s checkpoints as they were.
Result<std::string> take_checkpoints_of(const RunRecord& from, const RunRecord& to);

}  // namespace choline::records
