#include <choline/records/checkpoint_index.hpp>

#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace choline;
using namespace choline::records;

TEST_CASE("The newest intact checkpoint is chosen, a changed or missing one is passed over", "[run]") {
  std::vector<CheckpointEntry> recorded = {{"epoch-1.pt", 10, 100, "aa"},
                                           {"epoch-2.pt", 20, 200, "bb"},
                                           {"epoch-3.pt", 30, 300, "cc"},
                                           {"x.tmp", 5, 900, "dd"}};
  std::map<std::string, CheckpointEntry> disk = {
      {"epoch-1.pt", recorded[0]}, {"epoch-2.pt", recorded[1]}, {"epoch-3.pt", recorded[2]}, {"x.tmp", recorded[3]}};
  auto current = [&](const std::string& name) -> std::optional<CheckpointEntry> {
    auto it = disk.find(name);
    return it == disk.end() ? std::nullopt : std::optional(it->second);
  };
  CHECK(newest_intact(recorded, current) == "epoch-3.pt");
  disk["epoch-3.pt"].size = 12;  // cut short
  CHECK(newest_intact(recorded, current) == "epoch-2.pt");
  disk["epoch-2.pt"].xxh3 = "ee";  // damaged
  CHECK(newest_intact(recorded, current) == "epoch-1.pt");
  disk.erase("epoch-1.pt");
  CHECK_FALSE(newest_intact(recorded, current));
}

TEST_CASE("Pulled checkpoints are recorded and verified against their record", "[run]") {
  testing::TempDir project;
  RunRecord record;
  record.id = "r";
  record.options.checkpoint_dir = "checkpoints";
  auto created = create_run(project.path, record);
  REQUIRE(created.ok());
  std::ofstream(created->checkpoints_dir() / "epoch-0000.pt") << "first checkpoint";
  REQUIRE(record_checkpoints(*created).ok());
  std::ofstream(created->checkpoints_dir() / "epoch-0001.pt") << "second checkpoint";
  std::ofstream(created->checkpoints_dir() / "epoch-0002.pt.tmp") << "half";
  CHECK(checkpoint_to_resume(*created) == "checkpoints/epoch-0001.pt");
  // The newest copy is damaged on the laptop after it was recorded: the previous one is used.
  std::ofstream(created->checkpoints_dir() / "epoch-0001.pt", std::ios::in | std::ios::out) << "X";
  auto damaged = describe_file(created->checkpoints_dir(), "epoch-0001.pt");
  REQUIRE(damaged);
  CHECK(checkpoint_to_resume(*created) == "checkpoints/epoch-0000.pt");
}

TEST_CASE("A PBT exploit replaces a run's checkpoints by another run's, newest first, or leaves them alone",
          "[run][pbt]") {
  testing::TempDir project;
  auto make = [&](const std::string& id) {
    RunRecord record;
    record.id = id;
    record.options.checkpoint_dir = "checkpoints";
    auto created = create_run(project.path, record);
    REQUIRE(created.ok());
    return *created;
  };
  RunRecord from = make("from"), to = make("to"), empty = make("empty");
  std::ofstream(to.checkpoints_dir() / "epoch-0009.pt") << "to's own";
  REQUIRE(record_checkpoints(to).ok());
  // Nothing to copy: an error, and `to` keeps its own.
  CHECK_FALSE(take_checkpoints_of(empty, to).ok());
  CHECK(checkpoint_to_resume(to) == "checkpoints/epoch-0009.pt");

  std::filesystem::create_directories(from.checkpoints_dir() / "sub");
  std::ofstream(from.checkpoints_dir() / "epoch-0001.pt") << "from 1";
  std::ofstream(from.checkpoints_dir() / "sub" / "epoch-0002.pt") << "from 2";
  std::ofstream(from.checkpoints_dir() / "x.tmp") << "a temp file never travels";
  std::filesystem::last_write_time(from.checkpoints_dir() / "epoch-0001.pt",
                                   std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  auto taken = take_checkpoints_of(from, to);
  REQUIRE(taken.ok());
  CHECK(*taken == "checkpoints/sub/epoch-0002.pt");
  CHECK_FALSE(std::filesystem::exists(to.checkpoints_dir() / "epoch-0009.pt"));
  CHECK_FALSE(std::filesystem::exists(to.checkpoints_dir() / "x.tmp"));
  CHECK(std::filesystem::equivalent(to.checkpoints_dir() / "epoch-0001.pt", from.checkpoints_dir() / "epoch-0001.pt"));
  CHECK(recorded_checkpoints(to).size() == 2);
  CHECK(checkpoint_to_resume(to) == "checkpoints/sub/epoch-0002.pt");
}
