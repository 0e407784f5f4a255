// Runs on hosts a pool hands them: the run's own pool does what a run always did; a shared pool
// keeps hosts between runs (two runs in a row rent once), replaces a host a run lost, and gives
// everything back when released.
#include <choline/run/controller.hpp>
#include <choline/run/shared_pool.hpp>

#include "fakes/fake_provider.hpp"
#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace choline;
using namespace choline::run;

namespace {

struct PoolHarness {
  testing::TempDir project;
  std::shared_ptr<fakes::FakeWorld> world = std::make_shared<fakes::FakeWorld>();
  fakes::FakeProvider provider{world};
  fakes::FakeClock clock;
  std::vector<std::string> journal;  // what the pool's owner recorded
  SharedPool pool;
  std::ostringstream out;

  explicit PoolHarness(int capacity)
      : pool("sweep-1", provider, provider.opener(), capacity,
             {[this](const providers::Host& h) {
                journal.push_back("rented " + h.id);
                return Status{};
              },
              [this](const providers::Host& h, const std::string& why) {
                journal.push_back("released " + h.id + ": " + why);
              },
              [this](const providers::Host& h, const Error&) { journal.push_back("release failed " + h.id); }}) {}

  records::RunRecord new_run(const std::string& id) {
    records::RunRecord r;
    r.id = id;
    r.project_dir = project.path.string();
    r.command = {"python3", "tr.py"};
    r.entry = "tr.py";
    r.options.provider = "fake";
    r.options.spec = {"RTX3090", 1, 1};
    r.options.max_host_losses = 3;
    r.options.setup = {"pip install -r requirements.txt"};
    auto created = records::create_run(project.path, r);
    REQUIRE(created.ok());
    return *created;
  }

  Result<int> run(records::RunRecord& record) {
    Seams seams;
    seams.provider = &provider;
    seams.pool = &pool;
    seams.clock = &clock;
    return execute(record, seams, event::Start{}, {}, out);
  }

  int live() {
    std::lock_guard lock(world->mutex);
    return static_cast<int>(world->live.size());
  }
};

}  // namespace

TEST_CASE("Pool: two runs in a row on one leased host rent once, and the second skips install and setup",
          "[run][pool]") {
  PoolHarness h(1);
  auto first = h.new_run("trial-1");
  auto second = h.new_run("trial-2");
  REQUIRE(h.run(first).ok());
  CHECK(first.state == records::RunState::succeeded);
  REQUIRE(h.run(second).ok());
  CHECK(second.state == records::RunState::succeeded);
  CHECK(h.world->creates == 1);
  CHECK(h.journal == std::vector<std::string>{"rented fake-0"});
  CHECK(h.world->installs == 1);
  CHECK(h.world->setups == 1);
  CHECK(h.world->prepared_hosts == std::vector<std::string>{"fake-0", "fake-0"});  // the project went both times
  // Each run's record shows the host it was lent, from the pool, given back at its end.
  REQUIRE(second.hosts.size() == 1);
  CHECK(second.hosts[0].host.id == "fake-0");
  CHECK(second.hosts[0].state == records::HostState::released);
  CHECK(second.events[1]["pool"] == "sweep-1");
  // Still up, idle and warm, until the pool is released.
  CHECK(h.live() == 1);
  REQUIRE(h.pool.hosts().size() == 1);
  CHECK_FALSE(h.pool.hosts()[0].leased);
  REQUIRE(h.pool.release_all("sweep finished").ok());
  CHECK(h.live() == 0);
  CHECK(h.pool.hosts().empty());
  CHECK(h.journal.back() == "released fake-0: sweep finished");
}

TEST_CASE("Pool: a leased host lost mid-run is replaced by the pool, the run goes on, the next run gets the new host",
          "[run][pool]") {
  PoolHarness h(1);
  h.world->scripts[0].dies_in_attempt = 1;
  auto first = h.new_run("trial-1");
  auto code = h.run(first);
  REQUIRE(code.ok());
  CHECK(*code == 0);
  CHECK(first.state == records::RunState::succeeded);
  REQUIRE(first.host_losses.size() == 1);
  CHECK(h.world->creates == 2);
  CHECK(h.live() == 1);  // the lost host went back to the provider, its replacement stays pooled
  // The replacement is never the machine the pool lost.
  CHECK(h.world->requests[1].exclude == std::vector<std::string>{"fake-0"});
  auto second = h.new_run("trial-2");
  REQUIRE(h.run(second).ok());
  CHECK(h.world->creates == 2);
  CHECK(second.hosts[0].host.id == "fake-1");
  CHECK(h.journal == std::vector<std::string>{"rented fake-0", "released fake-0: lost", "rented fake-1"});
  REQUIRE(h.pool.release_all("done").ok());
  CHECK(h.live() == 0);
}

TEST_CASE("Pool: runs at once get hosts up to its capacity, a bad host can be dropped, releasing releases everything",
          "[run][pool]") {
  PoolHarness h(2);
  const auto record = [](const Lease&) { return Status{}; };
  providers::HostRequest request;
  request.shape = {"RTX3090", 1, 1};
  auto a = h.pool.acquire(request, "key", record);
  auto b = h.pool.acquire(request, "key", record);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->host.id != b->host.id);
  auto full = h.pool.acquire(request, "key", record);
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().kind == ErrorKind::capacity);
  // A host given back is lent again, warm only for the preparation it had.
  h.pool.prepared(a->host, "key", "/usr/bin/python3");
  REQUIRE(h.pool.give_back(a->host, false).ok());
  auto again = h.pool.acquire(request, "key", record);
  REQUIRE(again.ok());
  CHECK(again->host.id == a->host.id);
  CHECK(again->warm);
  CHECK(again->python == "/usr/bin/python3");  // the interpreter its preparation found torch in
  REQUIRE(h.pool.give_back(again->host, false).ok());
  auto other = h.pool.acquire(request, "another setup", record);
  REQUIRE(other.ok());
  CHECK_FALSE(other->warm);
  CHECK(other->python.empty());  // what it found is only good for the preparation it had
  // Dropped: released at once, and its machine never rented again by the pool.
  REQUIRE(h.pool.drop(b->host.id, "two trials failed on it").ok());
  CHECK(h.live() == 1);
  REQUIRE(h.pool.give_back(other->host, false).ok());
  REQUIRE(h.pool.release_all("done").ok());
  CHECK(h.live() == 0);
  CHECK(h.world->requests.back().exclude == std::vector<std::string>{});
}

TEST_CASE("Pool: a host the owner cannot journal is released at once", "[run][pool]") {
  auto world = std::make_shared<fakes::FakeWorld>();
  fakes::FakeProvider provider{world};
  SharedPool pool("sweep-x", provider, provider.opener(), 1,
                  {[](const providers::Host&) { return Status(make_error(ErrorKind::io, "disk full")); }, {}, {}});
  providers::HostRequest request;
  auto lease = pool.acquire(request, "", [](const Lease&) { return Status{}; });
  REQUIRE_FALSE(lease.ok());
  CHECK(lease.error().message == "disk full");
  CHECK(world->live.empty());
  CHECK(pool.hosts().empty());
}

TEST_CASE("Pool: the next run on a warm host is not asked again whether its interpreter has torch", "[run][pool]") {
  PoolHarness h(1);
  auto first = h.new_run("trial-1");
  first.options.python = "python3";
  auto second = h.new_run("trial-2");
  second.options.python = "python3";
  REQUIRE(h.run(first).ok());
  REQUIRE(h.run(second).ok());
  CHECK(second.state == records::RunState::succeeded);
  CHECK(h.world->python_checks == std::vector<std::string>{"python3"});
  REQUIRE(h.pool.hosts().size() == 1);
  CHECK(h.pool.hosts()[0].python == "python3");

  // Other setup commands make the host cold for the run: install is skipped (the agent is
  // there), setup runs and the interpreter is asked again.
  auto third = h.new_run("trial-3");
  third.options.python = "python3";
  third.options.setup = {"pip install -r requirements-gpu.txt"};
  REQUIRE(h.run(third).ok());
  CHECK(h.world->setups == 2);
  CHECK(h.world->python_checks == std::vector<std::string>{"python3", "python3"});
  REQUIRE(h.pool.release_all("done").ok());
}

TEST_CASE("Pool: a run on a warm host settles on the interpreter the host's preparation fell back to, without asking",
          "[run][pool]") {
  PoolHarness h(1);
  h.world->shares_this_machine = true;
  h.world->scripts[0].without_torch = {"python3"};
  auto first = h.new_run("trial-1");
  first.options.python = "python3";
  REQUIRE(h.run(first).ok());
  CHECK(first.options.python == "/usr/bin/python3");
  CHECK(h.world->python_checks == std::vector<std::string>{"python3", "/usr/bin/python3"});

  auto second = h.new_run("trial-2");
  second.options.python = "python3";
  REQUIRE(h.run(second).ok());
  CHECK(second.state == records::RunState::succeeded);
  CHECK(h.world->python_checks.size() == 2);  // not asked again
  // The run uses the interpreter that has torch, as if it had asked, and its journal says so.
  CHECK(second.options.python == "/usr/bin/python3");
  CHECK(second.command[0] == "/usr/bin/python3");
  CHECK(h.world->launches.back().command[0] == "/usr/bin/python3");
  bool journaled = false;
  for (const auto& e : second.events) {
    if (e.value("type", "") == "interpreter_chosen" && e.value("python", "") == "/usr/bin/python3") journaled = true;
  }
  CHECK(journaled);
  REQUIRE(h.pool.release_all("done").ok());
}
