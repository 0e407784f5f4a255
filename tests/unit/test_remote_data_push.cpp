#include <choline/agent/data_cache.hpp>
#include <choline/remote/data_push.hpp>

#include "fakes/agent_data_transport.hpp"
#include "sync_fixtures.hpp"

#include <sys/stat.h>

using namespace choline;
using namespace choline::testing;

namespace {

// A laptop project, a host with a run directory, and the transport between them.
struct Setup {
  TempDir laptop, host;
  fakes::AgentDataTransport transport;
  fs::path project() const { return laptop.path / "project"; }

  remote::DataHost data_host(const std::string& run = "run1") {
    remote::DataHost host_info;
    host_info.transport = &transport;
    host_info.agent = {"choline-agent", "agent"};
    host_info.cache_dir = (host.path / "data").string();
    host_info.run_root = (host.path / "runs" / run).string();
    host_info.work_dir = host_info.run_root + "/project";
    host_info.label = "host-1";
    return host_info;
  }

  std::vector<remote::PreparedData> prepare(const std::vector<spec::DataEntry>& entries) {
    auto resolved = spec::resolve_data_entries(entries, project(), laptop.path);
    REQUIRE(resolved.ok());
    auto prepared = remote::prepare_data(*resolved, project(), {});
    INFO((prepared ? "" : prepared.error().message));
    REQUIRE(prepared.ok());
    return *prepared;
  }

  std::vector<remote::DataStageStats> stage(const std::vector<remote::PreparedData>& data,
                                            const std::string& run = "run1") {
    auto stats = remote::stage_data(data_host(run), data, {std::nullopt, {}, false});
    INFO((stats ? "" : stats.error().message));
    REQUIRE(stats.ok());
    return *stats;
  }

  // Published entries in the host's cache.
  std::vector<std::string> cached_ids() {
    auto cache = agent::DataCache::open(host.path / "data");
    std::vector<std::string> ids;
    for (const auto& entry : cache->entries()) ids.push_back(entry.id);
    return ids;
  }
};

spec::DataEntry path_entry(const std::string& path, const std::string& to = "") {
  return {path, "", "", to, false, {}};
}

void make_dataset(const fs::path& root, int files, std::size_t size) {
  for (int i = 0; i < files; ++i)
    write_file(root / ("part-" + std::to_string(i) + ".bin"), random_bytes(size, static_cast<unsigned>(i)));
  write_file(root / "labels/train.csv", "a,b\n1,2\n");
  age_tree(root);
}

}  // namespace

TEST_CASE("A dataset outside the project is linked into the run's working directory", "[remote][data]") {
  Setup setup;
  fs::create_directories(setup.project());
  make_dataset(setup.laptop.path / "datasets/fmnist", 3, 10'000);
  const auto data = setup.prepare({path_entry("~/datasets/fmnist", "data/fmnist")});
  const auto stats = setup.stage(data);
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].action == remote::DataAction::sent);
  CHECK(stats[0].files == 4);
  CHECK(stats[0].sync.files_transferred == 4);

  const fs::path seen = setup.host.path / "runs/run1/project/data/fmnist";
  CHECK(fs::is_symlink(seen));
  CHECK(read_file(seen / "labels/train.csv") == "a,b\n1,2\n");
  CHECK(read_file(seen / "part-2.bin") == random_bytes(10'000, 2));
  // Cached data is read-only: a run cannot change what other runs read.
  struct stat st {};
  REQUIRE(::stat((seen / "part-0.bin").c_str(), &st) == 0);
  CHECK((st.st_mode & 0222) == 0);
  REQUIRE(::stat((seen / "labels").c_str(), &st) == 0);
  CHECK((st.st_mode & 0222) == 0);
  CHECK(setup.cached_ids() == std::vector<std::string>{data[0].id});
  CHECK(data[0].id == "tree-" + data[0].fingerprint);
}

TEST_CASE("Pushing the same dataset version again sends no file data", "[remote][data]") {
  Setup setup;
  make_dataset(setup.project() / "data", 5, 50'000);
  const auto data = setup.prepare({path_entry("data")});
  const auto first = setup.stage(data);
  CHECK(first[0].action == remote::DataAction::sent);
  CHECK(first[0].sync.bytes_literal >= 250'000);

  // Another run on the same host (a sweep trial, a replacement) reuses the cached version.
  const auto second = setup.stage(setup.prepare({path_entry("data")}), "run2");
  REQUIRE(second.size() == 1);
  CHECK(second[0].action == remote::DataAction::cached);
  CHECK(second[0].sync.bytes_literal == 0);
  CHECK(second[0].sync.bytes_sent == 0);
  CHECK(second[0].sync.files_transferred == 0);
  CHECK(read_file(setup.host.path / "runs/run2/project/data/part-4.bin") == random_bytes(50'000, 4));
  CHECK(setup.cached_ids().size() == 1);
}

TEST_CASE("A changed file in a large dataset sends about its delta", "[remote][data]") {
  Setup setup;
  const fs::path dataset = setup.laptop.path / "big";
  fs::create_directories(setup.project());
  make_dataset(dataset, 8, 1'000'000);  // 8 MB
  const auto v1 = setup.prepare({path_entry(dataset.string())});
  setup.stage(v1);

  std::string content = read_file(dataset / "part-3.bin");
  content.replace(500'000, 8, "CHANGED!");
  write_file(dataset / "part-3.bin", content);
  write_file(dataset / "new.txt", "new file\n");
  fs::remove(dataset / "part-7.bin");
  age(dataset / "part-3.bin", 30);
  age(dataset / "new.txt", 30);
  const auto v2 = setup.prepare({path_entry(dataset.string())});
  REQUIRE(v2[0].id != v1[0].id);
  const auto stats = setup.stage(v2);
  CHECK(stats[0].action == remote::DataAction::sent);
  CHECK(stats[0].sync.files_transferred == 2);
  CHECK(stats[0].sync.bytes_literal < 20'000);  // the changed block and the new file
  CHECK(stats[0].sync.bytes_sent < 60'000);     // of 7 MB
  const fs::path seen = setup.host.path / "runs/run1/project/big";
  CHECK(read_file(seen / "part-3.bin") == content);
  CHECK_FALSE(fs::exists(seen / "part-7.bin"));
  CHECK(read_file(seen / "new.txt") == "new file\n");
  // The old version is untouched: it shares the unchanged files' inodes, never their contents.
  const fs::path old_version = setup.host.path / "data" / v1[0].id / "data";
  CHECK(read_file(old_version / "part-3.bin") == random_bytes(1'000'000, 3));
  CHECK(fs::exists(old_version / "part-7.bin"));
  struct stat a {
  }, b{};
  REQUIRE(::stat((old_version / "part-0.bin").c_str(), &a) == 0);
  REQUIRE(::stat((seen / "part-0.bin").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);
}

TEST_CASE("Two concurrent stagings of one entry on a host share one cache entry", "[remote][data]") {
  Setup setup;
  make_dataset(setup.project() / "data", 6, 200'000);
  const auto data = setup.prepare({path_entry("data")});
  std::vector<remote::DataStageStats> first, second;
  std::thread other([&] { first = setup.stage(data, "trial-1"); });
  second = setup.stage(data, "trial-2");
  other.join();
  REQUIRE(first.size() == 1);
  REQUIRE(second.size() == 1);
  // One of them built it, the other waited for the lock and found it.
  CHECK(((first[0].action == remote::DataAction::sent) != (second[0].action == remote::DataAction::sent)));
  CHECK(setup.cached_ids() == std::vector<std::string>{data[0].id});
  for (const char* run : {"trial-1", "trial-2"}) {
    INFO(run);
    for (int i = 0; i < 6; ++i) {
      CHECK(read_file(setup.host.path / "runs" / run / "project/data" / ("part-" + std::to_string(i) + ".bin")) ==
            random_bytes(200'000, static_cast<unsigned>(i)));
    }
  }
  // No stage was left behind.
  for (const auto& item : fs::directory_iterator(setup.host.path / "data")) {
    CHECK(item.path().filename().string().rfind(".stage-", 0) != 0);
  }
}

TEST_CASE("A single-file entry is linked as that file", "[remote][data]") {
  Setup setup;
  write_file(setup.project() / "labels.csv", "x,y\n");
  age(setup.project() / "labels.csv");
  const auto data = setup.prepare({path_entry("labels.csv", "inputs/labels.csv")});
  setup.stage(data);
  const fs::path seen = setup.host.path / "runs/run1/project/inputs/labels.csv";
  CHECK(fs::is_symlink(seen));
  CHECK(fs::is_regular_file(seen));
  CHECK(read_file(seen) == "x,y\n");
}

TEST_CASE(".gitignore does not apply to data entries, .cholineignore does", "[remote][data]") {
  Setup setup;
  const fs::path data_dir = setup.project() / "data";
  write_file(setup.project() / ".gitignore", "data/\n");
  write_file(data_dir / ".gitignore", "*.csv\n");
  write_file(data_dir / "train.csv", "1\n");
  write_file(data_dir / "scratch.tmp", "junk\n");
  write_file(data_dir / ".cholineignore", "*.tmp\n");
  age_tree(setup.project());
  const auto data = setup.prepare({path_entry("data")});
  setup.stage(data);
  const fs::path seen = setup.host.path / "runs/run1/project/data";
  CHECK(read_file(seen / "train.csv") == "1\n");
  CHECK_FALSE(fs::exists(seen / "scratch.tmp"));
}

TEST_CASE("A missing data path fails with the entry's key", "[remote][data]") {
  Setup setup;
  fs::create_directories(setup.project());
  auto resolved = spec::resolve_data_entries({path_entry("absent")}, setup.project(), setup.laptop.path);
  REQUIRE(resolved.ok());
  auto prepared = remote::prepare_data(*resolved, setup.project(), {});
  REQUIRE_FALSE(prepared.ok());
  CHECK(prepared.error().kind == ErrorKind::usage);
  CHECK_THAT(prepared.error().message, Catch::Contains("data[0]") && Catch::Contains("absent"));
}

TEST_CASE("A dataset that changes while it is sent is not published", "[remote][data]") {
  Setup setup;
  make_dataset(setup.project() / "data", 2, 10'000);
  auto data = setup.prepare({path_entry("data")});
  // Same size and time, other bytes: the listing (and so the id) no longer matches the files.
  write_file(setup.project() / "data/part-0.bin", random_bytes(10'000, 99));
  age(setup.project() / "data/part-0.bin");
  auto stats = remote::stage_data(setup.data_host(), data, {std::nullopt, {}, false});
  REQUIRE_FALSE(stats.ok());
  CHECK_THAT(stats.error().message, Catch::Contains("host-1: data[0]") && Catch::Contains("changed while it was sent"));
  CHECK(setup.cached_ids().empty());
}

TEST_CASE("What staging did reads the same in a run's journal and in data push --json", "[remote][data]") {
  remote::DataStageStats stats;
  stats.key = "data[1]";
  stats.to = "data/fmnist";
  stats.id = "abc123";
  stats.action = remote::DataAction::sent;
  stats.files = 4;
  stats.bytes = 30'008;
  stats.sync.bytes_sent = 31'000;
  stats.sync.bytes_literal = 30'008;
  stats.sync.files_transferred = 4;
  stats.bytes_downloaded = 0;
  const nlohmann::json expected = {
      {"key", "data[1]"}, {"to", "data/fmnist"},  {"id", "abc123"},       {"action", "sent"},
      {"files", 4},       {"bytes", 30'008},      {"bytes_sent", 31'000}, {"bytes_literal", 30'008},
      {"files_sent", 4},  {"bytes_downloaded", 0}};
  CHECK(stats.to_json() == expected);
  remote::DataStageStats cached = stats;
  cached.action = remote::DataAction::cached;
  cached.sync = {};
  const nlohmann::json both = remote::staged_json({stats, cached});
  REQUIRE(both.size() == 2);
  CHECK(both[0] == expected);
  CHECK(both[1]["action"] == "cached");
  CHECK(both[1]["bytes_literal"] == 0);
  CHECK(remote::staged_json({}) == nlohmann::json::array());
}

TEST_CASE("A staged dataset's JSON says how much file data crossed", "[remote][data]") {
  Setup setup;
  fs::create_directories(setup.project());
  make_dataset(setup.laptop.path / "datasets/fmnist", 3, 10'000);
  const auto data = setup.prepare({path_entry("~/datasets/fmnist", "data/fmnist")});
  const nlohmann::json first = remote::staged_json(setup.stage(data));
  REQUIRE(first.size() == 1);
  CHECK(first[0]["action"] == "sent");
  CHECK(first[0]["files_sent"] == 4);
  CHECK(first[0]["bytes_literal"].get<std::uint64_t>() >= 30'000);
  const nlohmann::json again = remote::staged_json(setup.stage(data, "run2"));
  CHECK(again[0]["action"] == "cached");
  CHECK(again[0]["bytes_literal"] == 0);
  CHECK(again[0]["files_sent"] == 0);
}
