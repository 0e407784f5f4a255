#include <choline/sync/tree_digest.hpp>
#include <choline/util/files.hpp>

#include "sync_fixtures.hpp"

using namespace choline;
using namespace choline::sync;
using namespace choline::testing;

namespace {

Result<TreeDigest> digest(const fs::path& root, const FileHashes& known = {}) {
  auto entries = scan_tree(root, IgnoreRules::with_defaults(), IgnoreFiles::none);
  REQUIRE(entries.ok());
  return digest_tree(root, *entries, known);
}

}  // namespace

TEST_CASE("A tree's digest covers names, sizes and contents, not times or modes", "[sync][data]") {
  TempDir a, b;
  for (const auto& root : {a.path, b.path}) {
    write_file(root / "x/1.bin", "one");
    write_file(root / "2.txt", "two");
    fs::create_directories(root / "empty");
    fs::create_symlink("2.txt", root / "link");
  }
  age(a.path / "2.txt", 100);
  fs::permissions(b.path / "2.txt", fs::perms::owner_read);
  auto da = digest(a.path), db = digest(b.path);
  REQUIRE(da.ok());
  REQUIRE(db.ok());
  CHECK(da->digest == db->digest);
  CHECK(da->digest.size() == 32);
  CHECK(da->files == 2);
  CHECK(da->bytes == 6);

  write_file(b.path / "x/1.bin", "ONE");  // same size, other bytes
  CHECK(digest(b.path)->digest != da->digest);
  write_file(b.path / "x/1.bin", "one");
  fs::remove(b.path / "link");
  fs::create_symlink("x/1.bin", b.path / "link");
  CHECK(digest(b.path)->digest != da->digest);
  fs::remove(b.path / "link");
  fs::create_symlink("2.txt", b.path / "link");
  fs::create_directories(b.path / "empty2");
  CHECK(digest(b.path)->digest != da->digest);
}

TEST_CASE("The digest of a listing does not depend on its order", "[sync][data]") {
  std::vector<DigestItem> items = {
      {"b", EntryType::file, 1, "h1"}, {"a", EntryType::directory, 0, ""}, {"a/c", EntryType::symlink, 0, "b"}};
  const std::string forward = digest_items(items);
  std::reverse(items.begin(), items.end());
  CHECK(digest_items(items) == forward);
  items[0].content = "h2";
  CHECK(digest_items(items) != forward);
}

TEST_CASE("Remembered hashes spare reading unchanged files", "[sync][data]") {
  TempDir dir;
  write_file(dir.path / "big.bin", random_bytes(100'000, 1));
  age(dir.path / "big.bin");
  auto first = digest(dir.path);
  REQUIRE(first.ok());
  REQUIRE(first->hashes.size() == 1);
  // A remembered hash is trusted while size, mtime and inode match: a planted wrong one shows
  // that the file was not read again.
  auto planted = FileHashes::from_json(first->hashes.to_json());
  FileHashes wrong;
  struct stat st {};
  REQUIRE(::stat((dir.path / "big.bin").c_str(), &st) == 0);
  wrong.remember("big.bin", {100'000, util::mtime_ns(st), static_cast<std::uint64_t>(st.st_ino), "00"});
  CHECK(digest(dir.path, wrong)->digest != first->digest);
  CHECK(digest(dir.path, planted)->digest == first->digest);
  // Touched: read again.
  age(dir.path / "big.bin", 30);
  CHECK(digest(dir.path, wrong)->digest == first->digest);
}

TEST_CASE("Files modified just now are not remembered", "[sync][data]") {
  TempDir dir;
  write_file(dir.path / "fresh.txt", "now");
  auto result = digest(dir.path);
  REQUIRE(result.ok());
  CHECK(result->hashes.size() == 0);
}

TEST_CASE("A damaged hash file is an empty cache", "[sync][data]") {
  CHECK(FileHashes::from_json("{not json").size() == 0);
  CHECK(FileHashes::from_json(R"({"version": 1, "files": {"a": [1, 2]}})").size() == 0);
  CHECK(FileHashes::from_json(R"({"version": 1, "files": {"a": [1, 2, 3, "h"]}})").size() == 1);
}
