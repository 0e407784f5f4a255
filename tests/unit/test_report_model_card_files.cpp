#include <choline/report/model_card_files.hpp>

#include <choline/records/checkpoint_index.hpp>
#include <choline/records/checkpoint_names.hpp>
#include <choline/records/run_files.hpp>
#include <choline/report/model_card.hpp>

#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace choline;
using namespace choline::records;
using namespace choline::report;
using choline::testing::TempDir;
using choline::testing::write_file;
using nlohmann::json;

namespace {

RunRecord make_run(const TempDir& project) {
  RunRecord record;
  record.id = "20261201-101010-tr-abcd";
  record.project_dir = project.path.string();
  record.command = {"python3", "tr.py"};
  record.entry = "tr.py";
  record.options.checkpoint_dir = "checkpoints";
  record.attempts.push_back({1, "t", "", "", std::nullopt, ""});
  auto created = create_run(project.path, record);
  REQUIRE(created.ok());
  return *created;
}

json read(const std::filesystem::path& path) {
  return json::parse(choline::testing::read_file(path));
}

}  // namespace

TEST_CASE("Every recorded checkpoint gets a card beside it, and a refresh keeps what the pull knew", "[run][card]") {
  TempDir project;
  RunRecord record = make_run(project);
  write_file(record.metrics_file(), R"({"step": 0, "epoch": 0, "loss": 2.0, "attempt": 1})"
                                    "\n");
  write_file(record.checkpoints_dir() / "epoch-0000.pt", "weights");
  REQUIRE(record_checkpoints(record).ok());
  write_model_cards(record);
  const auto card_file = record.checkpoints_dir() / "epoch-0000.pt.card.json";
  REQUIRE(std::filesystem::exists(card_file));
  const json first = read(card_file);
  CHECK(first["run"]["attempt"] == 1);
  CHECK(first["metrics"]["values"] == json{{"epoch", 0}, {"loss", 2.0}});

  // The epoch's evaluation arrives after the pull, during attempt 2: the card gains it, and
  // keeps its attempt and creation time.
  record.attempts.push_back({2, "t", "", "", std::nullopt, ""});
  write_file(record.metrics_file(), R"({"step": 0, "epoch": 0, "loss": 2.0, "attempt": 1})"
                                    "\n"
                                    R"({"step": 9, "epoch": 0, "test_accuracy": 0.8, "attempt": 1})"
                                    "\n");
  write_model_cards(record);
  const json second = read(card_file);
  CHECK(second["run"]["attempt"] == 1);
  CHECK(second["created_at"] == first["created_at"]);
  CHECK(second["metrics"]["step"] == 9);
  CHECK(second["metrics"]["values"]["test_accuracy"] == 0.8);

  // A card is never a checkpoint: not recorded, not resumed from, even when it is the newest file.
  REQUIRE(record_checkpoints(record).ok());
  CHECK(recorded_checkpoints(record).size() == 1);
  CHECK(checkpoint_to_resume(record) == "checkpoints/epoch-0000.pt");
  CHECK(newest_local_checkpoint(record) == "checkpoints/epoch-0000.pt");
  CHECK(newest_checkpoint({{"a.pt", 1}, {"a.pt.card.json", 2}}) == "a.pt");
  CHECK(load_model_cards(record).size() == 1);
}

TEST_CASE("A card that cannot be written is a warning, not a failure", "[run][card]") {
  TempDir project;
  RunRecord record = make_run(project);
  write_file(record.checkpoints_dir() / "step-5.pt", "weights");
  REQUIRE(record_checkpoints(record).ok());
  std::filesystem::create_directories(record.checkpoints_dir() / "step-5.pt.card.json");  // in the way
  CHECK_NOTHROW(write_model_cards(record));
  CHECK(std::filesystem::is_directory(record.checkpoints_dir() / "step-5.pt.card.json"));
}

TEST_CASE("A copied checkpoint is traced back by the card beside it, or by its checksum", "[run][card]") {
  TempDir project, elsewhere;
  RunRecord record = make_run(project);
  write_file(record.checkpoints_dir() / "epoch-0001.pt", "the weights");
  REQUIRE(record_checkpoints(record).ok());
  write_model_cards(record);

  auto home = find_model_card(project.path, record.checkpoints_dir() / "epoch-0001.pt");
  REQUIRE(home.ok());
  CHECK(home->how == "next to the checkpoint");
  CHECK(home->checksum_matches == true);

  // Copied with its card.
  std::filesystem::copy_file(record.checkpoints_dir() / "epoch-0001.pt", elsewhere.path / "model.pt");
  std::filesystem::copy_file(record.checkpoints_dir() / "epoch-0001.pt.card.json",
                             elsewhere.path / "model.pt.card.json");
  TempDir unrelated;
  auto copied = find_model_card(unrelated.path, elsewhere.path / "model.pt");
  REQUIRE(copied.ok());
  CHECK(copied->card["run"]["id"] == record.id);
  CHECK(copied->card["run"]["project_dir"] == project.path.string());
  CHECK(copied->checksum_matches == true);
  auto by_card = find_model_card(unrelated.path, elsewhere.path / "model.pt.card.json");
  REQUIRE(by_card.ok());
  CHECK(by_card->checksum_matches == true);

  // The copy changed: the card no longer vouches for it.
  write_file(elsewhere.path / "model.pt", "other weights");
  auto changed = find_model_card(unrelated.path, elsewhere.path / "model.pt");
  REQUIRE(changed.ok());
  CHECK(changed->checksum_matches == false);

  // Copied without its card: the project's runs recognise it by its checksum.
  std::filesystem::copy_file(record.checkpoints_dir() / "epoch-0001.pt", elsewhere.path / "lonely.pt");
  auto lonely = find_model_card(project.path, elsewhere.path / "lonely.pt");
  REQUIRE(lonely.ok());
  CHECK_THAT(lonely->how, Catch::Contains(record.id));
  CHECK(lonely->checksum_matches == true);
  auto stranger = find_model_card(unrelated.path, elsewhere.path / "lonely.pt");
  REQUIRE_FALSE(stranger.ok());
  CHECK(stranger.error().kind == ErrorKind::not_found);

  // A bare checkpoint name, looked up in the project's runs.
  auto named = find_model_card(project.path, "epoch-0001.pt");
  REQUIRE(named.ok());
  CHECK(named->checksum_matches == true);
  CHECK_FALSE(find_model_card(project.path, "epoch-0099.pt").ok());
}
