// The run executor end to end over a scripted fake provider and a fake clock: every host is a
// FakeHost, so a whole run (renting, restarts, host losses, Ctrl-C) takes milliseconds.
#include <choline/records/cost.hpp>
#include <choline/run/controller.hpp>
#include <choline/util/files.hpp>

#include "fakes/fake_provider.hpp"
#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace choline;
using namespace choline::run;
using namespace choline::records;

namespace {

struct Harness {
  testing::TempDir project;
  std::shared_ptr<fakes::FakeWorld> world = std::make_shared<fakes::FakeWorld>();
  fakes::FakeProvider provider{world};
  fakes::FakeClock clock;
  Seams seams;
  std::optional<bool> interrupt;  // answered once, when set
  std::ostringstream out;
  RunRecord record;

  explicit Harness(int nodes, int max_restarts = 3, int max_host_losses = 5) {
    seams.provider = &provider;
    seams.open_host = provider.opener();
    seams.clock = &clock;
    seams.poll_interrupt = [this]() -> std::optional<bool> { return std::exchange(interrupt, std::nullopt); };
    RunRecord r;
    r.id = "run-1";
    r.project_dir = project.path.string();
    r.command = {"python3", "tr.py"};
    r.entry = "tr.py";
    r.options.provider = "fake";
    r.options.spec = {"RTX3090", 2, nodes};
    r.options.max_restarts = max_restarts;
    r.options.max_host_losses = max_host_losses;
    r.options.checkpoint_dir = "checkpoints";
    auto created = create_run(project.path, r);
    REQUIRE(created.ok());
    record = *created;
  }

  Result<int> run(const Event& first = event::Start{}) { return execute(record, seams, first, {}, out); }

  int live() {
    std::lock_guard lock(world->mutex);
    return static_cast<int>(world->live.size());
  }
  int released() const {
    return static_cast<int>(std::count_if(record.hosts.begin(), record.hosts.end(),
                                          [](const HostRecord& h) { return h.state == HostState::released; }));
  }
};

}  // namespace

TEST_CASE("Executor: a two-node run rents, launches every node, succeeds and releases everything",
          "[run][controller]") {
  Harness h(2);
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  CHECK(h.record.state == RunState::succeeded);
  CHECK(h.live() == 0);
  REQUIRE(h.record.hosts.size() == 2);
  CHECK(h.released() == 2);
  REQUIRE(h.world->launches.size() == 2);
  // Nodes are launched in parallel: in any order.
  auto launches = h.world->launches;
  std::sort(launches.begin(), launches.end(), [](const auto& a, const auto& b) { return a.node_rank < b.node_rank; });
  CHECK(launches[0].node_rank == 0);
  CHECK(launches[1].node_rank == 1);
  CHECK(launches[1].master_addr == h.record.hosts[0].host.address);
  CHECK(h.record.attempts.size() == 1);
  CHECK(h.record.attempts[0].outcome == "succeeded");
  CHECK_THAT(h.out.str(), Catch::Contains("[1/3] attempt 1 rank 3"));
  // Reloading the journal gives the same picture.
  auto loaded = load_run(h.record.dir);
  INFO((loaded ? std::string() : loaded.error().message + util::read_file(h.record.file()).value()));
  REQUIRE(loaded.ok());
  CHECK(loaded->state == RunState::succeeded);
  CHECK(loaded->hosts[1].released_because == "run succeeded");
}

TEST_CASE("Executor: a master port already taken on node 0 is picked again, and the job gets the one listened on",
          "[run][controller]") {
  Harness h(2);
  h.world->scripts[0].ports_taken = 2;
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  REQUIRE(h.world->listened.size() == 3);
  REQUIRE(h.world->launches.size() == 2);
  for (const auto& job : h.world->launches) CHECK(job.master_port == h.world->listened.back().front());
  CHECK(h.record.master_port == h.world->listened.back().front());
  for (const auto& ports : h.world->listened) {
    for (int port : ports) CHECK((port >= 20000 && port < 32768));  // below the ephemeral range
  }
}

TEST_CASE("Executor: a node 0 where every port pick is taken fails the launch with why", "[run][controller]") {
  Harness h(2, /*max_restarts=*/0);
  h.world->scripts[0].ports_taken = 100;
  auto code = h.run();
  CHECK(h.world->listened.size() >= 5);
  CHECK(h.world->launches.empty());
  CHECK(h.live() == 0);
  const std::string said = (code ? std::string() : code.error().message) + h.out.str();
  CHECK_THAT(said, Catch::Contains("Address already in use"));
}

TEST_CASE("Executor: a failing rank restarts the gang from node 0's checkpoint, pushed to the other nodes",
          "[run][controller]") {
  Harness h(2);
  h.world->failures[1] = {3, 7};
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  REQUIRE(h.record.attempts.size() == 2);
  CHECK(h.record.attempts[0].outcome == "failed: rank 3 exited 7");
  CHECK(h.record.attempts[1].resume_from == "checkpoints/epoch-1.pt");
  CHECK(h.record.restarts == 1);
  CHECK(h.record.host_losses.empty());
  // Node 0 wrote the checkpoint; only node 1 gets the laptop's copy.
  REQUIRE(h.world->pushed_dirs.size() == 1);
  CHECK(h.world->pushed_dirs[0].first == "fake-1");
  CHECK_THAT(h.out.str(), Catch::Contains("restarting all workers from checkpoints/epoch-1.pt (restart 1 of 3)"));
}

TEST_CASE("Executor: a job that fails every time ends after max_restarts with its exit code, renting nothing new",
          "[run][controller]") {
  Harness h(1, /*max_restarts=*/2);
  for (int attempt = 1; attempt <= 5; ++attempt) h.world->failures[attempt] = {0, 4};
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 4);
  CHECK(h.record.state == RunState::failed);
  CHECK(h.record.attempts.size() == 3);
  CHECK(h.world->creates == 1);
  CHECK(h.live() == 0);
}

TEST_CASE("Executor: a host lost in training is replaced by another machine and the run goes on", "[run][controller]") {
  Harness h(2);
  h.world->scripts[1].dies_in_attempt = 1;
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  CHECK(h.record.state == RunState::succeeded);
  REQUIRE(h.record.hosts.size() == 3);
  // Its stream broke and could not be re-opened within host_timeout.
  CHECK_THAT(h.record.hosts[1].released_because,
             Catch::StartsWith("lost: no heartbeat for 1") && Catch::EndsWith(" s (connection reset by peer)"));
  CHECK(h.record.hosts[2].node == 1);
  REQUIRE(h.record.host_losses.size() == 1);
  CHECK(h.record.host_losses[0].host_id == "fake-1");
  CHECK(h.record.restarts == 0);
  // The replacement was asked not to be the lost machine nor node 0's.
  REQUIRE(h.world->requests.size() == 3);
  CHECK(h.world->requests[2].exclude == std::vector<std::string>{"fake-1", "fake-0"});
  // Survivors were stopped, the new host got the checkpoint, attempt 2 ran on it.
  CHECK(h.world->stops == std::vector<std::string>{"fake-0"});
  REQUIRE(h.record.attempts.size() == 2);
  CHECK_THAT(h.record.attempts[0].outcome, Catch::StartsWith("node 1 lost (no heartbeat for 1"));
  CHECK(h.record.attempts[1].resume_from == "checkpoints/epoch-1.pt");
  CHECK(h.world->pushed_dirs == std::vector<std::pair<std::string, std::string>>{{"fake-2", "checkpoints"}});
  CHECK(h.live() == 0);
}

TEST_CASE("Executor: a hung host (silent, no heartbeats) is declared lost after host_timeout", "[run][controller]") {
  Harness h(2);
  h.world->scripts[0].hangs_in_attempt = 1;
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  REQUIRE(h.record.host_losses.size() == 1);
  CHECK(h.record.host_losses[0].node == 0);
  CHECK_THAT(h.record.host_losses[0].reason, Catch::StartsWith("no heartbeat for 1"));
  // Node 0 was replaced: both nodes get the laptop's checkpoints for attempt 2... if there are any.
  CHECK(h.record.attempts.back().number == 2);
  CHECK(h.live() == 0);
}

TEST_CASE("Executor: a host that never boots is released and replaced", "[run][controller]") {
  Harness h(1);
  h.world->scripts[0].never_boots = true;
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  REQUIRE(h.record.host_losses.size() == 1);
  CHECK(h.record.host_losses[0].reason == "it did not come up in time");
  CHECK(h.world->creates == 2);
  CHECK(h.live() == 0);
}

TEST_CASE("Executor: host losses beyond max_host_losses end the run, nothing left running", "[run][controller]") {
  Harness h(2, 3, /*max_host_losses=*/1);
  h.world->scripts[1].dies_in_attempt = 1;
  h.world->scripts[2].dies_in_attempt = 2;
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 1);
  CHECK(h.record.state == RunState::failed);
  CHECK_THAT(h.out.str(), Catch::Contains("max_host_losses (1) reached"));
  CHECK(h.live() == 0);
}

TEST_CASE("Executor: a refused create fails the run with the provider's reason, nothing is left", "[run][controller]") {
  Harness h(2);
  h.world->scripts[1].refuse_create = true;
  auto code = h.run();
  REQUIRE_FALSE(code.ok());
  CHECK_THAT(code.error().message, Catch::Contains("no capacity"));
  CHECK(h.record.state == RunState::failed);
  CHECK(h.live() == 0);
}

TEST_CASE("Executor: an error the user must fix (no torch) fails at once with that error", "[run][controller]") {
  Harness h(1);
  h.world->scripts[0].prepare_error =
      make_error(ErrorKind::usage, "the interpreter 'python3' on fake-0 has no torch module");
  auto code = h.run();
  REQUIRE_FALSE(code.ok());
  CHECK(code.error().kind == ErrorKind::usage);
  CHECK(h.record.state == RunState::failed);
  CHECK(h.record.attempts.empty());
  CHECK(h.live() == 0);
  CHECK_THAT(h.out.str(), !Catch::Contains("checkpoints in"));
}

TEST_CASE("Executor: Ctrl-C then detach keeps hosts, choline stop later releases them", "[run][controller]") {
  Harness h(2);
  h.world->scripts[0].hangs_in_attempt = 1;  // keeps the attempt running while we press Ctrl-C
  h.interrupt = false;                       // "detach"
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 130);
  CHECK(h.record.state == RunState::detached);
  CHECK(h.live() == 2);
  auto stopped = h.run(event::StopRequested{});
  REQUIRE(stopped.ok());
  CHECK(*stopped == 0);
  CHECK(h.record.state == RunState::stopped);
  CHECK(h.live() == 0);
}

TEST_CASE("Executor: Ctrl-C then stop ends the run at once", "[run][controller]") {
  Harness h(1);
  h.world->scripts[0].hangs_in_attempt = 1;
  h.interrupt = true;
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 130);
  CHECK(h.record.state == RunState::stopped);
  CHECK(h.record.attempts[0].outcome == "stopped by the user");
  CHECK(h.live() == 0);
}

TEST_CASE("Executor: creates refused for capacity are journaled and the next offer is tried", "[run][controller]") {
  Harness h(2);
  h.world->scripts[1].refuse_create = true;
  h.world->scripts[1].refuse_kind = ErrorKind::capacity;
  h.world->scripts[2].refuse_create = true;
  h.world->scripts[2].refuse_kind = ErrorKind::capacity;
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  CHECK(h.world->creates == 4);
  CHECK(h.record.hosts.size() == 2);
  CHECK(std::count_if(h.record.events.begin(), h.record.events.end(),
                      [](const auto& e) { return e["type"] == "provision_failed"; }) == 2);
  CHECK(h.live() == 0);
}

TEST_CASE("Executor: a provider that keeps refusing ends the run after k_max_create_tries", "[run][controller]") {
  Harness h(1);
  for (int i = 0; i < 10; ++i) {
    h.world->scripts[i].refuse_create = true;
    h.world->scripts[i].refuse_kind = ErrorKind::capacity;
  }
  auto code = h.run();
  REQUIRE_FALSE(code.ok());
  CHECK(h.world->creates == k_max_create_tries);
  CHECK(h.record.state == RunState::failed);
}

TEST_CASE("Executor: a host the provider reports dead is replaced before its heartbeats time out",
          "[run][controller]") {
  Harness h(2);
  h.record.options.host_timeout_s = 3600;  // only the provider can tell
  h.world->scripts[1].gone_in_attempt = 1;
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  REQUIRE(h.record.host_losses.size() == 1);
  CHECK(h.record.host_losses[0].reason == "the provider reports it gone");
  CHECK(h.live() == 0);
}

TEST_CASE("Executor: when no replacement can be had the run waits, then stops cleanly with nothing held",
          "[run][controller]") {
  Harness h(2);
  h.record.options.replacement_timeout_s = 120;
  h.world->scripts[1].dies_in_attempt = 1;
  for (int i = 2; i < 40; ++i) {
    h.world->scripts[i].refuse_create = true;
    h.world->scripts[i].refuse_kind = ErrorKind::capacity;
  }
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 1);
  CHECK(h.record.state == RunState::stopped);
  CHECK_THAT(h.out.str(),
             Catch::Contains("no replacement host for node 1 yet") && Catch::Contains("trying again in 30 s"));
  CHECK(h.live() == 0);
  CHECK(std::filesystem::exists(h.record.checkpoints_dir() / "epoch-1.pt"));  // node 0 pulled before the wait
}

TEST_CASE("Executor: --max-cost stops a running job once its hosts' time costs what is left, before the limit",
          "[run][controller]") {
  Harness h(1);
  h.world->price_per_hour = 36;  // one cent a second
  h.world->scripts[0].busy_in_attempt = 1;
  h.record.options.max_cost = 1.0;
  // The wall clock the cost is read at runs with the fake clock, from now.
  const double wall_start = util::epoch_seconds();
  const auto fake_start = h.clock.now();
  h.seams.wall_clock = [&] { return wall_start + util::seconds_between(fake_start, h.clock.now()); };
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 1);
  CHECK(h.record.state == RunState::stopped);
  CHECK(h.live() == 0);
  const double ran = util::seconds_between(fake_start, h.clock.now());
  // $1 minus the 60 s a stop takes at 1 cent a second: about 40 s of renting.
  CHECK(ran > 35);
  CHECK(ran < 60);
  const auto& finished = h.record.events.back();
  CHECK(finished["type"] == "finished");
  CHECK_THAT(finished["reason"].get<std::string>(), Catch::StartsWith("cost limit reached ($0.4"));
  CHECK(records::cost_of(h.record, h.seams.wall_clock()).spent < 1.0);
}

TEST_CASE("Executor: a stop asked by whoever drives the run ends it with that reason", "[run][controller]") {
  Harness h(1);
  h.world->scripts[0].busy_in_attempt = 1;
  int polls = 0;
  h.seams.poll_stop = [&]() -> std::optional<std::string> {
    if (++polls < 20) return std::nullopt;
    return std::string("stopped early at rung 1");
  };
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  CHECK(h.record.state == RunState::stopped);
  CHECK(h.record.attempts[0].outcome == "stopped early at rung 1");
  CHECK(h.live() == 0);
  CHECK(h.world->stops.size() == 1);
}

TEST_CASE("Executor: nodes prepared together launch exactly once", "[run][controller]") {
  Harness h(3);
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  CHECK(h.world->launches.size() == 3);
  CHECK(h.record.attempts.size() == 1);
  CHECK(std::count_if(h.record.events.begin(), h.record.events.end(),
                      [](const auto& e) { return e["type"] == "attempt_started"; }) == 1);
}
