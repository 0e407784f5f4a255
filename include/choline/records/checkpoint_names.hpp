#pragma once
// The one set of rules for what a file in a checkpoint directory is. Workers write a temp name
// and rename it (tr.py writes "<name>.tmp"); the C++ runtime writes one part per rank beside the
// checkpoint ("step-40.pt.rank1"); the laptop writes a model card beside each checkpoint that came
// home ("step-40.pt.card.json"). Only what is none of these is a checkpoint to resume from, and
// temp names and cards never travel in a pull (a host never gets to send a card).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::records {

inline constexpr std::string_view k_card_suffix = ".card.json";

// "epoch-0001.pt" -> "epoch-0001.pt.card.json".
std::string card_name_for(const std::string& checkpoint_name);
bool is_card_name(std::string_view name);

// A half-written file: "*.tmp", "*.partial", or a name starting with '.'.
bool is_temp_name(std::string_view base_name);

// One rank's part of a runtime checkpoint ("step-40.pt.rank1"): it goes with step-40.pt but is
// not a checkpoint to resume from.
bool is_rank_part(std::string_view base_name);

// Whether a file (a path relative to the checkpoint directory) can be resumed from.
bool is_checkpoint_name(std::string_view relative_path);

// The ignore patterns of a checkpoint pull: temp names and model cards stay where they are.
const std::vector<std::string>& checkpoint_pull_ignore();

struct CheckpointFile {
  std::string name;  // relative to the checkpoint directory
  std::int64_t mtime_ns = 0;
};

// The checkpoint to resume from: the newest file that is_checkpoint_name, ties to the greater
// name.
std::optional<std::string> newest_checkpoint(const std::vector<CheckpointFile>& files);

}  // namespace choline::records
