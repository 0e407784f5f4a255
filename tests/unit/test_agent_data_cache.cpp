#include <choline/agent/data_cache.hpp>

#include "sync_fixtures.hpp"

#include <fcntl.h>
#include <sys/stat.h>

using namespace choline;
using namespace choline::agent;
using namespace choline::testing;

namespace {

std::string id_of(char c) {
  return tree_data_id(std::string(32, c));
}

// Builds and publishes an entry of `bytes` bytes, created at `created` (ISO time).
DataEntryMeta publish(const DataCache& cache, const std::string& id, std::size_t bytes, const std::string& created,
                      const std::string& source = "path:/x") {
  auto lock = cache.lock(id);
  REQUIRE(lock.ok());
  auto stage = cache.begin_stage(id);
  REQUIRE(stage.ok());
  write_file(*stage / "data/sub/file.bin", std::string(bytes, 'x'));
  const DataEntryMeta meta{id, source, "data", 1, bytes, created};
  REQUIRE(cache.publish(*stage, meta, {}).ok());
  return meta;
}

void set_last_used(const DataCache& cache, const std::string& id, std::int64_t seconds) {
  const struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  REQUIRE(::utimensat(AT_FDCWD, (cache.entry_dir(id) / "meta.json").c_str(), times, 0) == 0);
}

}  // namespace

TEST_CASE("A published entry appears whole under its id, read-only", "[agent][data]") {
  TempDir dir;
  auto cache = DataCache::open(dir.path / "data");
  REQUIRE(cache.ok());
  const std::string id = id_of('a');
  CHECK_FALSE(cache->published(id));
  auto lock = cache->lock(id);
  REQUIRE(lock.ok());
  auto stage = cache->begin_stage(id);
  REQUIRE(stage.ok());
  write_file(*stage / "data/a/b.txt", "content");
  // Until published, the entry does not exist under its id.
  CHECK_FALSE(fs::exists(cache->entry_dir(id)));
  CHECK_FALSE(cache->published(id));
  REQUIRE(cache->publish(*stage, {id, "path:/src", "data", 1, 7, "2026-01-01T00:00:00Z"}, {}).ok());
  CHECK_FALSE(fs::exists(*stage));
  auto meta = cache->published(id);
  REQUIRE(meta);
  CHECK(meta->source == "path:/src");
  CHECK(meta->bytes == 7);
  struct stat st {};
  REQUIRE(::stat((cache->entry_dir(id) / "data/a/b.txt").c_str(), &st) == 0);
  CHECK((st.st_mode & 0222) == 0);
  REQUIRE(::stat((cache->entry_dir(id) / "data/a").c_str(), &st) == 0);
  CHECK((st.st_mode & 0222) == 0);
  CHECK(cache->total_bytes() == 7);
}

TEST_CASE("A discarded stage leaves nothing, and a killed agent's stage is swept", "[agent][data]") {
  TempDir dir;
  auto cache = DataCache::open(dir.path / "data");
  REQUIRE(cache.ok());
  const std::string id = id_of('b');
  {
    auto lock = cache->lock(id);
    auto stage = cache->begin_stage(id);
    REQUIRE(stage.ok());
    write_file(*stage / "data/x", "half");
    cache->discard(*stage);
    CHECK_FALSE(fs::exists(*stage));
  }
  // A stage whose agent died: its id's lock is free, so eviction's sweep removes it.
  fs::create_directories(dir.path / "data" / (".stage-" + id + ".999-0") / "data");
  cache->evict(1'000'000, 0);
  CHECK_FALSE(fs::exists(dir.path / "data" / (".stage-" + id + ".999-0")));
  // A stage whose lock is held is someone's work in progress: kept.
  auto lock = cache->lock(id);
  REQUIRE(lock.ok());
  fs::create_directories(dir.path / "data" / (".stage-" + id + ".998-0"));
  cache->evict(1'000'000, 0);
  CHECK(fs::exists(dir.path / "data" / (".stage-" + id + ".998-0")));
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(dir.path / "data")) names.push_back(item.path().filename().string());
  CHECK(std::count_if(names.begin(), names.end(), [](const std::string& n) { return n.rfind("tree-", 0) == 0; }) == 0);
}

TEST_CASE("One staging of an id at a time", "[agent][data]") {
  TempDir dir;
  auto cache = DataCache::open(dir.path / "data");
  REQUIRE(cache.ok());
  auto first = cache->lock(id_of('c'));
  REQUIRE(first.ok());
  CHECK_FALSE(cache->try_lock(id_of('c')));
  CHECK(cache->try_lock(id_of('d')));  // other ids are free
}

TEST_CASE("A run links an entry and its mark keeps eviction away", "[agent][data]") {
  TempDir dir;
  auto cache = DataCache::open(dir.path / "data");
  REQUIRE(cache.ok());
  const auto held = publish(*cache, id_of('1'), 400, "2026-01-01T00:00:01Z");
  const auto old = publish(*cache, id_of('2'), 300, "2026-01-01T00:00:02Z");
  const auto recent = publish(*cache, id_of('3'), 200, "2026-01-01T00:00:03Z");
  const fs::path work = dir.path / "runs/r1/project";
  {
    auto lock = cache->lock(held.id);
    REQUIRE(cache->use(held, work, "data/train", (dir.path / "runs/r1").string()).ok());
  }
  CHECK(fs::read_symlink(work / "data/train") == cache->entry_dir(held.id) / "data");
  CHECK(read_file(work / "data/train/sub/file.bin") == std::string(400, 'x'));
  set_last_used(*cache, held.id, 1000);  // the oldest use, but held
  set_last_used(*cache, old.id, 2000);
  set_last_used(*cache, recent.id, 3000);

  // 900 bytes, limit 500: the least recently used entries nobody holds go first.
  CHECK(cache->evict(500, 0) == std::vector<std::string>{old.id, recent.id});
  CHECK(cache->published(held.id));
  CHECK_FALSE(fs::exists(cache->entry_dir(old.id)));

  // The run moves to another version: the old mark no longer holds.
  const auto next = publish(*cache, id_of('4'), 100, "2026-01-01T00:00:04Z");
  {
    auto lock = cache->lock(next.id);
    REQUIRE(cache->use(next, work, "data/train", (dir.path / "runs/r1").string()).ok());
  }
  CHECK(cache->evict(150, 0) == std::vector<std::string>{held.id});
  CHECK(cache->published(next.id));
}

TEST_CASE("A link replaces what the project sync put at its place", "[agent][data]") {
  TempDir dir;
  auto cache = DataCache::open(dir.path / "data");
  REQUIRE(cache.ok());
  const auto meta = publish(*cache, id_of('5'), 10, "2026-01-01T00:00:05Z");
  const fs::path work = dir.path / "project";
  write_file(work / "data/stale.csv", "old copy");
  auto lock = cache->lock(meta.id);
  REQUIRE(cache->use(meta, work, "data", dir.path.string()).ok());
  CHECK(fs::is_symlink(work / "data"));
  CHECK_FALSE(fs::exists(work / "data/stale.csv"));
  // A symlink planted on the way is never followed.
  fs::create_directories(dir.path / "elsewhere");
  fs::create_symlink(dir.path / "elsewhere", work / "inputs");
  auto planted = cache->use(meta, work, "inputs/x", dir.path.string());
  CHECK_FALSE(planted.ok());
  CHECK(fs::is_empty(dir.path / "elsewhere"));
}

TEST_CASE("A new version is seeded from the newest version of the same source", "[agent][data]") {
  TempDir dir;
  auto cache = DataCache::open(dir.path / "data");
  REQUIRE(cache.ok());
  publish(*cache, id_of('6'), 10, "2026-01-01T00:00:06Z", "path:/a");
  publish(*cache, id_of('7'), 20, "2026-01-01T00:00:07Z", "path:/a");
  publish(*cache, id_of('8'), 30, "2026-01-01T00:00:08Z", "path:/b");
  auto newest = cache->newest_from("path:/a");
  REQUIRE(newest);
  CHECK(newest->id == id_of('7'));
  CHECK_FALSE(cache->newest_from("path:/c"));

  auto lock = cache->lock(id_of('9'));
  auto stage = cache->begin_stage(id_of('9'));
  REQUIRE(stage.ok());
  REQUIRE(cache->seed_stage(*stage, newest->id).ok());
  struct stat a {
  }, b{};
  REQUIRE(::stat((*stage / "data/sub/file.bin").c_str(), &a) == 0);
  REQUIRE(::stat((cache->entry_dir(newest->id) / "data/sub/file.bin").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);  // hard links: nothing copied
}
