#include <choline/remote/data_local.hpp>

#include "sync_fixtures.hpp"

using namespace choline;
using namespace choline::testing;

TEST_CASE("The project's ignore patterns as they apply inside a data entry", "[remote][data]") {
  const std::vector<std::string> project = {"*.tmp",   "cache/",         "data/raw/", "/data/big.bin",
                                            "other/x", "!data/raw/keep", "**/scratch"};
  CHECK(remote::data_ignore_patterns(project, "data") ==
        std::vector<std::string>{"*.tmp", "cache/", "/raw/", "/big.bin", "!/raw/keep", "**/scratch"});
  // Outside the project, only the patterns that match names anywhere apply.
  CHECK(remote::data_ignore_patterns(project, "") == std::vector<std::string>{"*.tmp", "cache/", "**/scratch"});
}

TEST_CASE("A local data entry is listed read-only and digested once", "[remote][data]") {
  TempDir dir;
  write_file(dir.path / "project/data/a.bin", random_bytes(5000, 1));
  write_file(dir.path / "project/data/skip.tmp", "x");
  age_tree(dir.path / "project");
  spec::ResolvedData entry;
  entry.key = "data[0]";
  entry.source = dir.path / "project/data";
  entry.inside_project = true;
  entry.project_relative = "data";
  entry.to = "data";
  auto local = remote::scan_local_data(entry, dir.path / "project", {"*.tmp"});
  REQUIRE(local.ok());
  REQUIRE(local->entries->size() == 1);
  CHECK(local->entries->at(0).path == "a.bin");
  CHECK((local->entries->at(0).mode & 0222) == 0);
  CHECK(local->id == "tree-" + local->fingerprint);
  CHECK(local->files == 1);
  CHECK(local->bytes == 5000);
  // The hashes are remembered under the project's .choline/.
  CHECK(fs::exists(dir.path / "project/.choline/data-hashes"));
  auto again = remote::scan_local_data(entry, dir.path / "project", {"*.tmp"});
  REQUIRE(again.ok());
  CHECK(again->id == local->id);
}
