#include <choline/records/provenance.hpp>

#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace choline;
using namespace choline::records;
using choline::testing::TempDir;
using choline::testing::write_file;

namespace {

bool have_git() {
  return std::system("git --version >/dev/null 2>&1") == 0;
}

void git(const std::filesystem::path& dir, const std::string& args) {
  const std::string command =
      "git -C '" + dir.string() + "' -c user.email=t@example.com -c user.name=t " + args + " >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
}

}  // namespace

TEST_CASE("The captured data entries are the ones the run staged, with the cache's hashes", "[run][provenance]") {
  TempDir project;
  DataProvenance tree{"data[0]",
                      (project.path / "data").string(),
                      "data",
                      "directory",
                      "tree-xxh3",
                      std::string(32, 'a'),
                      "tree-" + std::string(32, 'a'),
                      2,
                      6};
  DataProvenance url{"data[1]",
                     "https://example.org/${USER}/t.tar",
                     "data/t",
                     "url",
                     "sha256",
                     std::string(64, 'b'),
                     "sha256-" + std::string(64, 'b'),
                     std::nullopt,
                     std::nullopt};
  const auto captured = capture_provenance(project.path, "", {tree, url});
  REQUIRE(captured["data"].size() == 2);
  CHECK(captured["data"][0] == data_provenance_json(tree));
  CHECK(captured["data"][0]["fingerprint"] == std::string(32, 'a'));
  CHECK(captured["data"][0]["files"] == 2);
  CHECK(captured["data"][0]["kind"] == "directory");
  CHECK(captured["data"][1]["method"] == "sha256");
  CHECK(captured["data"][1]["path"] == "https://example.org/${USER}/t.tar");  // as written: no credential
  CHECK(captured["data"][1]["files"].is_null());
  CHECK(capture_provenance(project.path, "", {})["data"] == nlohmann::json::array());
}

TEST_CASE("Outside a git repository the code fields are null, not an error", "[run][provenance]") {
  TempDir project;
  const auto state = git_state(project.path);
  CHECK(state["root"].is_null());
  CHECK(state["commit"].is_null());
  CHECK(state["dirty"].is_null());
  CHECK(state["diff_xxh3"].is_null());
  CHECK(git_state("")["root"].is_null());
}

TEST_CASE("Git state: commit, dirty flag and a diff hash that follows the changes", "[run][provenance]") {
  if (!have_git()) {
    WARN("git is not installed: skipped");
    return;
  }
  TempDir project;
  write_file(project.path / "tr.py", "print(1)\n");
  git(project.path, "init -q");
  auto empty = git_state(project.path);
  CHECK(empty["root"].is_string());
  CHECK(empty["commit"].is_null());  // no commits yet
  CHECK(empty["dirty"] == true);
  git(project.path, "add tr.py");
  git(project.path, "commit -q -m first");
  // choline's own directory is not the project's code.
  write_file(project.path / ".choline/runs/r/run.json", "{}");
  auto clean = git_state(project.path);
  CHECK(clean["commit"].get<std::string>().size() == 40);
  CHECK(clean["dirty"] == false);
  CHECK(clean["diff_xxh3"].is_null());

  write_file(project.path / "tr.py", "print(2)\n");
  auto edited = git_state(project.path);
  CHECK(edited["dirty"] == true);
  REQUIRE(edited["diff_xxh3"].is_string());
  CHECK(edited["commit"] == clean["commit"]);
  write_file(project.path / "notes.txt", "new file\n");
  auto untracked = git_state(project.path);
  CHECK(untracked["diff_xxh3"] != edited["diff_xxh3"]);
  write_file(project.path / "notes.txt", "other\n");
  CHECK(git_state(project.path)["diff_xxh3"] != untracked["diff_xxh3"]);
}

TEST_CASE("The capture records choline.json, purpose and preprocessing", "[run][provenance]") {
  TempDir project;
  write_file(project.path / "data/a.txt", "hello");
  write_file(project.path / "choline.json", R"({ // comments allowed
    "data": ["data", "gone"], "purpose": "demo", "preprocessing": "lower-cased" })");
  const auto p = capture_provenance(project.path, "", {});
  CHECK(p["config_file"] == (project.path / "choline.json").string());
  CHECK(p["config"]["purpose"] == "demo");
  CHECK(p["purpose"] == "demo");
  CHECK(p["preprocessing"] == "lower-cased");
  CHECK(p["data"] == nlohmann::json::array());  // only what the run layer staged, handed in
  CHECK(p["git"]["commit"].is_null());

  TempDir bare;
  const auto none = capture_provenance(bare.path, "", {});
  CHECK(none["config"].is_null());
  CHECK(none["data"].empty());
}

TEST_CASE("A git state taken by the caller (while the project was pushed) is the capture's", "[run][provenance]") {
  TempDir project;
  write_file(project.path / "choline.json", R"({"purpose": "demo"})");
  const nlohmann::json taken = {
      {"root", "/src/demo"}, {"commit", "abc"}, {"branch", "main"}, {"dirty", false}, {"diff_xxh3", nullptr}};
  const auto p = capture_provenance(project.path, "", {}, taken);
  CHECK(p["git"] == taken);
  CHECK(p["purpose"] == "demo");
  CHECK(capture_provenance(project.path, "", {})["git"] == git_state(project.path));
}

TEST_CASE("An attempt uses the newest capture at or before it", "[run][provenance]") {
  TempDir project;
  RunRecord record;
  record.id = "r";
  record.project_dir = project.path.string();
  auto created = create_run(project.path, record);
  REQUIRE(created.ok());
  CHECK(provenance_for_attempt(*created, 1).is_null());
  record_provenance(*created, {});  // for attempt 1
  created->attempts.push_back({});
  created->attempts.push_back({});
  write_file(project.path / "choline.json", R"({"purpose": "later"})");
  record_provenance(*created, {});  // for attempt 3
  CHECK(provenance_for_attempt(*created, 1)["purpose"].is_null());
  CHECK(provenance_for_attempt(*created, 2)["purpose"].is_null());
  CHECK(provenance_for_attempt(*created, 3)["purpose"] == "later");
  CHECK(provenance_for_attempt(*created, 7)["purpose"] == "later");
}
