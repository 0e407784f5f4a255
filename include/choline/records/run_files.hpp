#pragma once
// Reading what a run keeps on the laptop (.choline/runs/<run>/): its checkpoints and logs.

#include <choline/records/run_record.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace choline::records {

// The newest complete checkpoint pulled home (see newest_checkpoint), as a path relative to the
// project ("checkpoints/epoch-0003.pt"), or "" when there is none.
std::string newest_local_checkpoint(const RunRecord& record);

// The part of a rank's log that attempt `attempt` wrote: from its marker line (included) to the
// next attempt's marker. Empty when the log has no such marker.
std::string attempt_part(std::string_view log, int attempt);

// The last `count` lines of a text file (fewer if it has fewer; none if it cannot be read).
std::vector<std::string> last_lines(const std::filesystem::path& file, std::size_t count);

}  // namespace choline::records
