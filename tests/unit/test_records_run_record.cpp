#include <choline/records/run_record.hpp>

#include "sync_fixtures.hpp"

using namespace choline;
using namespace choline::records;
using namespace choline::testing;

TEST_CASE("A run record round-trips through run.json with its journal", "[run]") {
  TempDir project;
  RunRecord record;
  record.id = new_run_id("train.py");
  record.project_dir = project.path.string();
  record.created_at = "2026-11-23T10:00:00.000Z";
  record.command = {"python3", "train.py"};
  record.options.spec = {"RTX3090", 4, 2};
  record.options.provider = "vast";
  record.options.max_price = 0.4;
  auto created = create_run(project.path, record);
  REQUIRE(created.ok());
  HostRecord host;
  host.node = 0;
  host.host.id = "vast-123";
  host.host.access = {{"host", "1.2.3.4"}};
  created->hosts.push_back(host);
  REQUIRE(created->journal(records::JournalEvent::host_created, {{"id", "vast-123"}}).ok());

  auto loaded = find_run(project.path, "");
  REQUIRE(loaded.ok());
  CHECK(loaded->id == record.id);
  CHECK(loaded->options.spec == choline::spec::GpuSpec{"RTX3090", 4, 2});
  CHECK(*loaded->options.max_price == Approx(0.4));
  REQUIRE(loaded->hosts.size() == 1);
  CHECK(loaded->hosts[0].host.access["host"] == "1.2.3.4");
  REQUIRE(loaded->events.size() == 2);
  CHECK(loaded->events[1]["type"] == "host_created");
  CHECK(loaded->events[1].contains("at"));
}

TEST_CASE("Runs are found by id, unique part, or as the latest", "[run]") {
  TempDir project;
  for (const char* created : {"2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"}) {
    RunRecord record;
    record.id = std::string("run-") + created;
    record.created_at = created;
    REQUIRE(create_run(project.path, record).ok());
  }
  CHECK(find_run(project.path, "")->created_at == "2026-01-02T00:00:00.000Z");
  CHECK(find_run(project.path, "01-01")->created_at == "2026-01-01T00:00:00.000Z");
  CHECK(find_run(project.path, "2026").error().kind == ErrorKind::usage);
  CHECK(find_run(project.path, "nope").error().kind == ErrorKind::not_found);
  TempDir empty;
  CHECK_THAT(find_run(empty.path, "").error().message, Catch::Contains("no runs"));
}

TEST_CASE("Run ids are readable and sortable", "[run]") {
  const std::string id = new_run_id("examples/ddp-python/tr.py");
  CHECK(id.size() > 20);
  CHECK(id.find("-tr-") != std::string::npos);
  CHECK(new_run_id("--weird name!").find("weirdname") != std::string::npos);
}
