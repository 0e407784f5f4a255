#pragma once
// What each worker process runs, from `choline train ENTRY [ARGS...] [-- MORE...]` or
// `choline train -- COMMAND...`. Pure: the caller looks at the file system and passes facts in.

#include <choline/error.hpp>

#include <optional>
#include <string>
#include <vector>

namespace choline::spec {

enum class EntryKind { missing, python_script, executable, not_executable, outside_project };

struct JobCommand {
  std::vector<std::string> argv;  // run in the synced project directory on every host
  std::string entry;              // the project-relative script, empty for a `--` command

  bool operator==(const JobCommand&) const = default;
};

// `entry_kind` is what the caller found at `entry` (ignored when there is no entry).
Result<JobCommand> make_job_command(const std::optional<std::string>& entry, EntryKind entry_kind,
                                    const std::vector<std::string>& entry_args,
                                    const std::vector<std::string>& passthrough, const std::string& python);

}  // namespace choline::spec
