// Runs bring their data entries to every host: scanned once on the laptop before anything is
// rented, staged on each host after the project push and before its first launch (first hosts,
// replacements, warm pool hosts), journaled, and fingerprinted for model cards with the hashes the
// hosts' caches use. The hosts are FakeHosts, whose stage_data acts like the agent's cache.
#include <choline/records/provenance.hpp>
#include <choline/remote/data_local.hpp>
#include <choline/run/controller.hpp>
#include <choline/run/shared_pool.hpp>
#include <choline/util/files.hpp>

#include "fakes/fake_provider.hpp"
#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

using namespace choline;
using namespace choline::run;
using namespace choline::records;

namespace {

const std::string k_sha = std::string(64, 'c');

struct DataHarness {
  testing::TempDir project;
  std::shared_ptr<fakes::FakeWorld> world = std::make_shared<fakes::FakeWorld>();
  fakes::FakeProvider provider{world};
  fakes::FakeClock clock;
  std::ostringstream out;

  DataHarness() {
    testing::write_file(project.path / "data/train.csv", "a,b\n1,2\n");
    testing::write_file(project.path / "data/sub/test.csv", "a,b\n3,4\n");
    testing::write_file(project.path / "tr.py", "print('hi')\n");
  }

  RunRecord new_run(const std::string& id, int nodes, std::vector<spec::DataEntry> data) {
    RunRecord r;
    r.id = id;
    r.project_dir = project.path.string();
    r.command = {"python3", "tr.py"};
    r.entry = "tr.py";
    r.options.provider = "fake";
    r.options.spec = {"RTX3090", 1, nodes};
    r.options.max_host_losses = 3;
    r.options.checkpoint_dir = "checkpoints";
    r.options.data = std::move(data);
    auto created = create_run(project.path, r);
    REQUIRE(created.ok());
    return *created;
  }

  Result<int> run(RunRecord& record, HostPool* pool = nullptr, std::map<std::string, std::string> env = {}) {
    Seams seams;
    seams.provider = &provider;
    seams.open_host = provider.opener();
    seams.pool = pool;
    seams.clock = &clock;
    return execute(record, seams, event::Start{}, env, out);
  }

  std::vector<fakes::FakeWorld::Staged> staged_on(const std::string& host) {
    std::lock_guard lock(world->mutex);
    std::vector<fakes::FakeWorld::Staged> on;
    for (const auto& s : world->staged)
      if (s.host == host) on.push_back(s);
    return on;
  }

  // Where `what` happened among the hosts' steps ("stage fake-0"), or -1.
  long step(const std::string& what) {
    std::lock_guard lock(world->mutex);
    auto it = std::find(world->steps.begin(), world->steps.end(), what);
    return it == world->steps.end() ? -1 : static_cast<long>(it - world->steps.begin());
  }

  int live() {
    std::lock_guard lock(world->mutex);
    return static_cast<int>(world->live.size());
  }
};

spec::DataEntry path_entry(const std::string& path, const std::string& to = "") {
  spec::DataEntry entry;
  entry.path = path;
  entry.to = to;
  return entry;
}

std::vector<nlohmann::json> events_of(const RunRecord& record, JournalEvent kind) {
  std::vector<nlohmann::json> found;
  for (const auto& event : record.events)
    if (is_event(event, kind)) found.push_back(event);
  return found;
}

}  // namespace

TEST_CASE("Run data: each host gets the data once, after the project push and before its launch", "[run][data]") {
  DataHarness h;
  auto record = h.new_run("run-1", 2, {path_entry("data")});
  auto code = h.run(record);
  REQUIRE(code.ok());
  CHECK(*code == 0);
  for (const std::string host : {"fake-0", "fake-1"}) {
    INFO(host);
    const auto staged = h.staged_on(host);
    REQUIRE(staged.size() == 1);
    CHECK(staged[0].key == "data[0]");
    CHECK(staged[0].action == remote::DataAction::sent);
    CHECK(h.step("push " + host) >= 0);
    CHECK(h.step("push " + host) < h.step("stage " + host));
    CHECK(h.step("stage " + host) < h.step("launch " + host));
  }
  // The project push leaves the entry to the data stage.
  REQUIRE_FALSE(h.world->push_ignores.empty());
  for (const auto& ignore : h.world->push_ignores) CHECK(std::count(ignore.begin(), ignore.end(), "/data") == 1);
  // Journaled per host: which version it holds and what crossed.
  const auto journaled = events_of(record, JournalEvent::data_staged);
  REQUIRE(journaled.size() == 2);
  for (const auto& event : journaled) {
    REQUIRE(event["entries"].size() == 1);
    CHECK(event["entries"][0]["id"] == h.staged_on("fake-0")[0].id);
    CHECK(event["entries"][0]["action"] == "sent");
    CHECK(event["entries"][0]["files"] == 2);
  }
}

TEST_CASE("Run data: the model card's fingerprint is the hash the host's cache names the data by", "[run][data]") {
  DataHarness h;
  auto record = h.new_run("run-1", 1, {path_entry("data")});
  REQUIRE(h.run(record).ok());
  const auto provenance = provenance_for_attempt(record, 1);
  REQUIRE(provenance.is_object());
  REQUIRE(provenance["data"].size() == 1);
  const auto& data = provenance["data"][0];
  spec::ResolvedData resolved;
  resolved.key = "data[0]";
  resolved.source = h.project.path / "data";
  resolved.inside_project = true;
  resolved.project_relative = "data";
  resolved.to = "data";
  auto local = remote::scan_local_data(resolved, h.project.path, {});
  REQUIRE(local.ok());
  CHECK(data["fingerprint"] == local->fingerprint);
  CHECK(data["id"] == local->id);
  CHECK(data["id"] == h.staged_on("fake-0")[0].id);
  CHECK(data["method"] == "tree-xxh3");
  CHECK(data["kind"] == "directory");
  CHECK(data["files"] == 2);
  CHECK(data["to"] == "data");
}

TEST_CASE("Run data: a replacement host after a loss gets the data again before it launches", "[run][data]") {
  DataHarness h;
  h.world->scripts[1].dies_in_attempt = 1;
  auto record = h.new_run("run-1", 2, {path_entry("data")});
  auto code = h.run(record);
  REQUIRE(code.ok());
  CHECK(*code == 0);
  REQUIRE(record.hosts.size() == 3);
  CHECK(record.hosts[2].host.id == "fake-2");
  const auto replacement = h.staged_on("fake-2");
  REQUIRE(replacement.size() == 1);
  CHECK(replacement[0].action == remote::DataAction::sent);
  CHECK(h.step("stage fake-2") < h.step("launch fake-2"));
  CHECK(h.staged_on("fake-0").size() == 1);  // the survivor kept its copy
  CHECK(h.staged_on("fake-1").size() == 1);
  CHECK(events_of(record, JournalEvent::data_staged).size() == 3);
}

TEST_CASE("Run data: a warm pool host that holds the version is not sent it again", "[run][data][pool]") {
  DataHarness h;
  SharedPool pool("sweep-1", h.provider, h.provider.opener(), 1,
                  {[](const providers::Host&) { return Status{}; }, {}, {}});
  auto first = h.new_run("trial-1", 1, {path_entry("data")});
  auto second = h.new_run("trial-2", 1, {path_entry("data")});
  REQUIRE(h.run(first, &pool).ok());
  REQUIRE(h.run(second, &pool).ok());
  CHECK(h.world->creates == 1);
  const auto staged = h.staged_on("fake-0");
  REQUIRE(staged.size() == 2);  // asked both times: only the host's cache knows what it holds
  CHECK(staged[0].action == remote::DataAction::sent);
  CHECK(staged[1].action == remote::DataAction::cached);
  CHECK(staged[1].id == staged[0].id);
  const auto journaled = events_of(second, JournalEvent::data_staged);
  REQUIRE(journaled.size() == 1);
  CHECK(journaled[0]["entries"][0]["action"] == "cached");
  CHECK(journaled[0]["entries"][0]["bytes_sent"] == 0);
  // A changed dataset is a new version: the warm host is asked for it, and it is sent.
  testing::write_file(h.project.path / "data/train.csv", "a,b\n1,2\n5,6\n");
  auto third = h.new_run("trial-3", 1, {path_entry("data")});
  REQUIRE(h.run(third, &pool).ok());
  const auto again = h.staged_on("fake-0");
  REQUIRE(again.size() == 3);
  CHECK(again[2].action == remote::DataAction::sent);
  CHECK(again[2].id != staged[0].id);
  REQUIRE(pool.release_all("done").ok());
}

TEST_CASE("Run data: a missing data path is a usage error before anything is rented", "[run][data]") {
  DataHarness h;
  auto record = h.new_run("run-1", 2, {path_entry("data"), path_entry("not/here")});
  auto code = h.run(record);
  REQUIRE_FALSE(code.ok());
  CHECK(code.error().kind == ErrorKind::usage);
  CHECK_THAT(code.error().message, Catch::Contains("data[1]") && Catch::Contains("not/here"));
  CHECK(h.world->creates == 0);
  CHECK(record.state == RunState::failed);
  auto loaded = load_run(record.dir);
  REQUIRE(loaded.ok());
  CHECK(loaded->state == RunState::failed);
}

TEST_CASE("Run data: a url credential not exported is a usage error before anything is rented", "[run][data]") {
  DataHarness h;
  spec::DataEntry url;
  url.url = "https://example.org/${HF_TOKEN}/train.tar";
  url.sha256 = k_sha;
  url.to = "data/train";
  auto record = h.new_run("run-1", 1, {url});
  auto code = h.run(record);
  REQUIRE_FALSE(code.ok());
  CHECK(code.error().kind == ErrorKind::usage);
  CHECK_THAT(code.error().message, Catch::Contains("data[0].url") && Catch::Contains("HF_TOKEN"));
  CHECK(h.world->creates == 0);

  // With the value, the url entry is downloaded by the host; the card has its sha256.
  auto with_token = h.new_run("run-2", 1, {url});
  REQUIRE(h.run(with_token, nullptr, {{"HF_TOKEN", "s3cret"}}).ok());
  const auto staged = h.staged_on("fake-0");
  REQUIRE(staged.size() == 1);
  CHECK(staged[0].action == remote::DataAction::downloaded);
  const auto provenance = provenance_for_attempt(with_token, 1);
  CHECK(provenance["data"][0]["fingerprint"] == k_sha);
  CHECK(provenance["data"][0]["method"] == "sha256");
  CHECK(provenance["data"][0]["path"] == url.url);  // as written, the credential's name only
  CHECK(util::read_file(with_token.file()).value().find("s3cret") == std::string::npos);
}

TEST_CASE("Run data: a failed stage fails the run with the entry named, and nothing is launched or left",
          "[run][data]") {
  DataHarness h;
  h.world->scripts[0].stage_error =
      make_error(ErrorKind::remote, "fake-0: data[0] (https://example.org/t.tar): sha256 mismatch");
  auto record = h.new_run("run-1", 1, {path_entry("data")});
  auto code = h.run(record);
  const std::string said = (code ? std::string() : code.error().message) + h.out.str();
  CHECK_THAT(said, Catch::Contains("data[0]") && Catch::Contains("sha256 mismatch"));
  CHECK(record.state == RunState::failed);
  CHECK(h.world->launches.empty());
  CHECK(h.live() == 0);
}

TEST_CASE("Run data: a run without data entries stages nothing and pushes with choline.json's ignores only",
          "[run][data]") {
  DataHarness h;
  auto record = h.new_run("run-1", 1, {});
  REQUIRE(h.run(record).ok());
  CHECK(h.world->staged.empty());
  CHECK(h.step("stage fake-0") == -1);
  REQUIRE(h.world->push_ignores.size() == 1);
  CHECK(h.world->push_ignores[0].empty());
  CHECK(events_of(record, JournalEvent::data_staged).empty());
}
