#pragma once
// Model cards on disk (model_card.hpp builds them): written next to each checkpoint after every
// pull, and found again for `choline card PATH`.
//
// How a checkpoint is traced back to its run: (1) PATH.card.json beside it (copy the card along
// with the checkpoint; `choline card` accepts either file); (2) otherwise the checkpoint's
// XXH3-128 is looked up in every run of the project (checkpoints.json), so a copy that lost its
// card is still recognised from within the project (-C); (3) a bare name such as
// "epoch-0001.pt" is looked for in the project's runs, newest first. The card names the run,
// the project path and the checkpoint's size and hash, so a copied card can be checked against
// the file it sits next to.

#include <choline/error.hpp>
#include <choline/records/run_record.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace choline::report {

// Writes or refreshes <checkpoint>.card.json for every recorded checkpoint of the run: a new
// checkpoint gets the attempt now running and the newest metrics step; an existing card of the
// same checkpoint keeps those and its creation time, and is rewritten only if its content
// changed (metrics of its step that arrived after the pull). Never fails: a card that cannot be
// written is a warning, never a failed pull.
void write_model_cards(const records::RunRecord& record);

// Every card of the run, in checkpoint name order.
std::vector<nlohmann::json> load_model_cards(const records::RunRecord& record);

struct FoundCard {
  nlohmann::json card;
  std::filesystem::path card_file;
  std::filesystem::path checkpoint_file;  // may not exist (only the card was given)
  std::string how;                        // "next to the checkpoint", "by checksum in run X", ...
  // Whether the checkpoint file's size and XXH3-128 equal the card's; nullopt if there is no
  // file to compare.
  std::optional<bool> checksum_matches;
};

// Finds the card of `path` (a checkpoint or a card) as described above. not_found says what was
// tried.
Result<FoundCard> find_model_card(const std::filesystem::path& project_dir, const std::filesystem::path& path);

}  // namespace choline::report
