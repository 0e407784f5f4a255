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
