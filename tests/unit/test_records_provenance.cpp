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

TEST_CASE("A listing's fingerprint ignores order and sees every name, size and content", "[run][provenance]") {
  const std::vector<DataFile> files = {{"b.csv", 3, 10, "x1"}, {"a.csv", 5, 20, "x2"}};
  const std::string base = fingerprint_listing(files, true);
  CHECK(base.size() == 32);
  CHECK(fingerprint_listing({files[1], files[0]}, true) == base);
  auto renamed = files;
  renamed[0].relative = "c.csv";
  CHECK(fingerprint_listing(renamed, true) != base);
  auto resized = files;
  resized[0].size = 4;
  CHECK(fingerprint_listing(resized, true) != base);
  auto edited = files;
  edited[0].content_xxh3 = "x9";
  CHECK(fingerprint_listing(edited, true) != base);
  auto touched = files;
  touched[0].mtime_ns = 11;
  CHECK(fingerprint_listing(touched, true) == base);                                // contents: a touch changes nothing
  CHECK(fingerprint_listing(touched, false) != fingerprint_listing(files, false));  // metadata: it does
}

TEST_CASE("Data paths get a fingerprint of their files, missing ones say so", "[run][provenance]") {
  TempDir project;
  write_file(project.path / "data/train/a.bin", "aaaa");
  write_file(project.path / "data/train/sub/b.bin", "bb");
  write_file(project.path / "labels.csv", "x,y\n");
  auto dir = data_fingerprint(project.path, "data/train");
  CHECK(dir["kind"] == "directory");
  CHECK(dir["files"] == 2);
  CHECK(dir["bytes"] == 6);
  CHECK(dir["method"] == "contents");
  CHECK(dir["fingerprint"].get<std::string>().size() == 32);
  CHECK(dir["resolved"] == (project.path / "data/train").string());
  auto file = data_fingerprint(project.path, (project.path / "labels.csv").string());
  CHECK(file["kind"] == "file");
  CHECK(file["files"] == 1);
  auto missing = data_fingerprint(project.path, "nope");
  CHECK(missing["kind"] == "missing");
  CHECK(missing["fingerprint"].is_null());

  const std::string before = dir["fingerprint"];
  write_file(project.path / "data/train/sub/b.bin", "bc");  // same size, other bytes
  CHECK(data_fingerprint(project.path, "data/train")["fingerprint"] != before);
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

TEST_CASE("The capture records choline.json, purpose, preprocessing and data", "[run][provenance]") {
  TempDir project;
  write_file(project.path / "data/a.txt", "hello");
  write_file(project.path / "choline.json", R"({ // comments allowed
    "data": ["data", "gone"], "purpose": "demo", "preprocessing": "lower-cased" })");
  const auto p = capture_provenance(project.path, "");
  CHECK(p["config_file"] == (project.path / "choline.json").string());
  CHECK(p["config"]["purpose"] == "demo");
  CHECK(p["purpose"] == "demo");
  CHECK(p["preprocessing"] == "lower-cased");
  REQUIRE(p["data"].size() == 2);
  CHECK(p["data"][0]["kind"] == "directory");
  CHECK(p["data"][1]["kind"] == "missing");
  CHECK(p["git"]["commit"].is_null());

  TempDir bare;
  const auto none = capture_provenance(bare.path, "");
  CHECK(none["config"].is_null());
  CHECK(none["data"].empty());
}

TEST_CASE("An attempt uses the newest capture at or before it", "[run][provenance]") {
  TempDir project;
  RunRecord record;
  record.id = "r";
  record.project_dir = project.path.string();
  auto created = create_run(project.path, record);
  REQUIRE(created.ok());
  CHECK(provenance_for_attempt(*created, 1).is_null());
  record_provenance(*created);  // for attempt 1
  created->attempts.push_back({});
  created->attempts.push_back({});
  write_file(project.path / "choline.json", R"({"purpose": "later"})");
  record_provenance(*created);  // for attempt 3
  CHECK(provenance_for_attempt(*created, 1)["purpose"].is_null());
  CHECK(provenance_for_attempt(*created, 2)["purpose"].is_null());
  CHECK(provenance_for_attempt(*created, 3)["purpose"] == "later");
  CHECK(provenance_for_attempt(*created, 7)["purpose"] == "later");
}
