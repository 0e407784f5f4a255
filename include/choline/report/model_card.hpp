#pragma once
// Model cards: next to every checkpoint pulled home, <checkpoint>.card.json says where it came
// from: the run and attempt, the command, the code (git commit, dirty flag, diff hash), the
// choline.json, the data (with fingerprints), the metrics at its step, the hardware, and the
// free-text purpose and preprocessing. A card copied along with its checkpoint still identifies
// it: it carries the run id, the project path and the checkpoint's size and XXH3-128.
//
// This file is the pure part: facts in, the card's JSON out, and the card as text. Reading git,
// hashing data and writing files live in provenance.hpp and model_card_files.hpp.

#include <choline/records/checkpoint_index.hpp>
#include <choline/records/checkpoint_names.hpp>
#include <choline/records/metrics.hpp>
#include <choline/records/run_record.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::report {

inline constexpr std::string_view k_card_schema = "choline-model-card/1";

using records::card_name_for;
using records::is_card_name;
using records::k_card_suffix;

// Which step of the metrics a checkpoint belongs to, and how that was decided: "step-1200.pt"
// (any "step" followed by digits, case-insensitive) is step 1200; "epoch-0003.pt" is the last
// step whose metrics say "epoch": 3; otherwise `pulled_at_step`, the newest step when the
// checkpoint first came home. nullopt when none of these gives a step.
struct CheckpointStep {
  std::int64_t step = 0;
  std::string basis;  // "step in the file name", "epoch in the file name", "newest step when pulled"
};
std::optional<CheckpointStep> checkpoint_step(const std::string& checkpoint_name,
                                              const std::vector<records::MetricPoint>& history,
                                              std::optional<std::int64_t> pulled_at_step);

// The hosts that served `attempt`: for each node, the host created for it last before the
// attempt started and not released by then (from the journal). The hosts held now when the
// journal has no such attempt.
std::vector<records::HostRecord> hosts_of_attempt(const records::RunRecord& record, int attempt);

// What a card is made of besides the run record and the metrics.
struct CardFacts {
  records::CheckpointEntry checkpoint;         // name (relative to the run's checkpoints dir), size, xxh3
  std::string checkpoint_home;                 // the absolute path where it was pulled to
  int attempt = 1;                             // the attempt whose pull brought it home
  std::optional<std::int64_t> pulled_at_step;  // the newest metrics step at that moment
  nlohmann::json provenance;                   // provenance.hpp's capture for that attempt; null if none
  std::string created_at;                      // when the card was first written
};

// The card (schema k_card_schema). Fields that cannot be known are null, never missing.
nlohmann::json build_model_card(const records::RunRecord& record, const std::vector<records::MetricPoint>& history,
                                const CardFacts& facts);

// Columns before the value in format_model_card's lines (the longest field name, "preprocessing",
// and two spaces), for callers that add lines of their own.
inline constexpr std::size_t k_card_label_width = 15;

// A card as aligned "field  value" lines for people (`choline card`). Tolerates cards with
// missing or mistyped fields (a card may have been edited or come from elsewhere).
std::string format_model_card(const nlohmann::json& card);

}  // namespace choline::report
