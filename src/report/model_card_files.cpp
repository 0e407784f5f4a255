#include <choline/report/model_card_files.hpp>

#include <choline/limits.hpp>
#include <choline/records/checkpoint_index.hpp>
#include <choline/records/metrics.hpp>
#include <choline/records/paths.hpp>
#include <choline/records/provenance.hpp>
#include <choline/report/model_card.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>
#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace choline::report {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A card may have travelled with a checkpoint from anywhere: read it with the bounds on size and
// nesting that any foreign JSON gets.
json read_json(const fs::path& path) {
  auto text = util::read_file(path, limits::k_max_json_file);
  if (!text) return nullptr;
  auto j = util::parse_json(*text, limits::k_max_json_depth);
  return j ? *j : json(nullptr);
}

std::optional<std::int64_t> int_at(const json& card, const char* section, const char* key) {
  if (!card.is_object() || !card.contains(section) || !card[section].is_object()) return std::nullopt;
  const auto& value = card[section].value(key, json(nullptr));
  if (!value.is_number_integer()) return std::nullopt;
  return value.get<std::int64_t>();
}

std::string text_at(const json& card, const char* section, const char* key) {
  if (!card.is_object() || !card.contains(section) || !card[section].is_object()) return "";
  const auto& value = card[section].value(key, json(nullptr));
  return value.is_string() ? value.get<std::string>() : "";
}

void write_cards(const records::RunRecord& record) {
  const auto entries = records::recorded_checkpoints(record);
  if (entries.empty()) return;
  const auto history = records::load_metrics(record.metrics_file());
  const int running = record.attempts.empty() ? 1 : record.attempts.back().number;
  for (const auto& entry : entries) {
    const fs::path checkpoint = record.checkpoints_dir() / entry.name;
    std::error_code ec;
    if (!fs::is_regular_file(checkpoint, ec)) continue;
    const fs::path card_file = record.checkpoints_dir() / card_name_for(entry.name);
    const json existing = read_json(card_file);
    CardFacts facts;
    facts.checkpoint = entry;
    facts.checkpoint_home = fs::absolute(checkpoint, ec).lexically_normal().string();
    if (text_at(existing, "checkpoint", "xxh3") == entry.xxh3) {
      // The same checkpoint: what was known when it came home stays.
      facts.attempt = static_cast<int>(int_at(existing, "run", "attempt").value_or(running));
      facts.pulled_at_step = existing.value("pulled_at_step", json(nullptr)).is_number_integer()
                                 ? std::optional(existing["pulled_at_step"].get<std::int64_t>())
                                 : std::nullopt;
      facts.created_at = existing.value("created_at", util::now_iso8601());
    } else {
      facts.attempt = running;
      if (!history.empty()) facts.pulled_at_step = history.back().step;
      facts.created_at = util::now_iso8601();
    }
    facts.provenance = records::provenance_for_attempt(record, facts.attempt);
    const json card = build_model_card(record, history, facts);
    if (card == existing) continue;
    if (auto ok = util::write_file_atomic(card_file, card.dump(2) + "\n"); !ok) {
      spdlog::warn("model card for {}: {}", entry.name, ok.error().message);
    }
  }
}

bool ends_with_card_suffix(const fs::path& path) {
  return is_card_name(path.filename().string());
}

fs::path checkpoint_of_card(const fs::path& card_file) {
  const std::string name = card_file.string();
  return name.substr(0, name.size() - k_card_suffix.size());
}

FoundCard found(json card, const fs::path& card_file, const fs::path& checkpoint, std::string how) {
  FoundCard result{std::move(card), card_file, checkpoint, std::move(how), std::nullopt};
  std::error_code ec;
  if (fs::is_regular_file(checkpoint, ec)) {
    auto described = records::describe_file(checkpoint.parent_path(), checkpoint.filename().string());
    if (described) {
      result.checksum_matches =
          described->xxh3 == text_at(result.card, "checkpoint", "xxh3") &&
          static_cast<std::int64_t>(described->size) == int_at(result.card, "checkpoint", "size").value_or(-1);
    }
  }
  return result;
}

}  // namespace

void write_model_cards(const records::RunRecord& record) {
  // A card is a convenience next to a checkpoint that has already come home: nothing that goes
  // wrong here may fail the pull or the run, not even a bug.
  try {
    write_cards(record);
  } catch (const std::exception& e) {
    spdlog::warn("model cards for run {} not written: {}", record.id, e.what());
  }
}

std::vector<json> load_model_cards(const records::RunRecord& record) {
  std::vector<std::pair<std::string, json>> cards;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(record.checkpoints_dir(), ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file() || !ends_with_card_suffix(it->path())) continue;
    json card = read_json(it->path());
    if (card.is_object())
      cards.emplace_back(it->path().lexically_relative(record.checkpoints_dir()).string(), std::move(card));
  }
  std::sort(cards.begin(), cards.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<json> out;
  for (auto& [name, card] : cards) out.push_back(std::move(card));
  return out;
}

Result<FoundCard> find_model_card(const fs::path& project_dir, const fs::path& path) {
  std::error_code ec;
  if (ends_with_card_suffix(path)) {
    json card = read_json(path);
    if (!card.is_object()) return make_error(ErrorKind::not_found, path.string() + " is not a readable model card");
    return found(std::move(card), path, checkpoint_of_card(path), "the card itself");
  }
  const fs::path beside = path.string() + std::string(k_card_suffix);
  if (fs::exists(beside, ec)) {
    json card = read_json(beside);
    if (!card.is_object()) return make_error(ErrorKind::not_found, beside.string() + " is not a readable model card");
    return found(std::move(card), beside, path, "next to the checkpoint");
  }
  const auto runs = records::list_runs(project_dir).runs;
  if (fs::is_regular_file(path, ec)) {
    // A copy without its card: the project's runs know their checkpoints by hash.
    const auto size = fs::file_size(path, ec);
    std::optional<records::CheckpointEntry> described;
    for (const auto& run : runs) {
      for (const auto& entry : records::recorded_checkpoints(run)) {
        if (ec || entry.size != size) continue;
        if (!described) described = records::describe_file(path.parent_path(), path.filename().string());
        if (!described || described->xxh3 != entry.xxh3) continue;
        const fs::path card_file = run.checkpoints_dir() / card_name_for(entry.name);
        json card = read_json(card_file);
        if (!card.is_object()) {
          return make_error(ErrorKind::not_found, path.string() + " is checkpoint " + entry.name + " of run " + run.id +
                                                      ", which has no model card (the run predates them)");
        }
        return found(std::move(card), card_file, path, "by its checksum, in run " + run.id);
      }
    }
    return make_error(ErrorKind::not_found, "no model card for " + path.string() + ": no " +
                                                beside.filename().string() + " beside it, and no run in " +
                                                records::runs_dir(project_dir).string() +
                                                " pulled a checkpoint with its checksum");
  }
  // A name of a checkpoint in one of the project's runs ("epoch-0001.pt", "RUN/epoch-0001.pt").
  for (const auto& run : runs) {
    std::string name = path.string();
    if (util::starts_with(name, run.id + "/")) name = name.substr(run.id.size() + 1);
    const fs::path card_file = run.checkpoints_dir() / card_name_for(name);
    if (fs::exists(card_file, ec)) {
      json card = read_json(card_file);
      if (card.is_object()) return found(std::move(card), card_file, run.checkpoints_dir() / name, "in run " + run.id);
    }
  }
  return make_error(ErrorKind::not_found, path.string() + " does not exist, and no run in " +
                                              records::runs_dir(project_dir).string() +
                                              " has a checkpoint of that name");
}

}  // namespace choline::report
