// The lifecycle's decisions, event by event. Actions are compared through describe(), so each
// expectation reads like the plan it checks.
#include <choline/run/lifecycle.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::run;
using namespace choline::records;

namespace {

std::vector<std::string> plan(const Snapshot& s, const Event& e) {
  std::vector<std::string> out;
  for (const auto& action : decide(s, e)) out.push_back(describe(action));
  return out;
}

using Plan = std::vector<std::string>;

// A run of `nodes` nodes, all in `phase`; node 0 holds checkpoints once it ran an attempt.
Snapshot run_of(int nodes, NodePhase phase, int attempt = 0) {
  Snapshot s;
  s.state = attempt ? RunState::running : RunState::provisioning;
  s.nodes.assign(static_cast<std::size_t>(nodes), NodeView{phase, false});
  if (attempt) s.nodes[0].holds_checkpoints = true;
  s.attempt = attempt;
  s.attempt_running = phase == NodePhase::running;
  s.max_restarts = 3;
  s.max_host_losses = 5;
  s.host_timeout_s = 10;
  return s;
}

agent::JobState job(agent::JobStatus status, std::vector<std::optional<int>> codes = {},
                    std::optional<int> failed = {}) {
  agent::JobState state;
  state.status = status;
  state.exit_codes = std::move(codes);
  state.failed_rank = failed;
  return state;
}

const Error k_lost{ErrorKind::network, "connection reset"};

}  // namespace

TEST_CASE("One failed node fails the attempt, a stop anywhere stops it", "[run]") {
  using agent::JobStatus;
  CHECK(combine_attempt({job(JobStatus::succeeded), job(JobStatus::succeeded)}).outcome == AttemptOutcome::succeeded);
  CHECK(combine_attempt({job(JobStatus::succeeded), job(JobStatus::failed)}).outcome == AttemptOutcome::failed);
  CHECK(combine_attempt({job(JobStatus::stopped), job(JobStatus::succeeded)}).outcome == AttemptOutcome::stopped);
  CHECK(combine_attempt({job(JobStatus::failed), job(JobStatus::stopped)}).outcome == AttemptOutcome::failed);
  CHECK(combine_attempt({job(JobStatus::unknown)}).outcome == AttemptOutcome::stopped);
}

TEST_CASE("The job's exit code and description come from the failed rank", "[run]") {
  using agent::JobStatus;
  auto failed = combine_attempt({job(JobStatus::succeeded), job(JobStatus::failed, {0, 0, 3, std::nullopt}, 2)});
  CHECK(failed.exit_code == 3);
  CHECK(failed.description == "failed: rank 2 exited 3");
  CHECK(combine_attempt({job(JobStatus::failed)}).exit_code == 1);
  CHECK(combine_attempt({job(JobStatus::succeeded)}).exit_code == 0);
  CHECK(combine_attempt({job(JobStatus::stopped)}).exit_code == 1);
  CHECK(final_state_of(AttemptOutcome::succeeded) == RunState::succeeded);
  CHECK(final_state_of(AttemptOutcome::failed) == RunState::failed);
  CHECK(final_state_of(AttemptOutcome::stopped) == RunState::stopped);
}

TEST_CASE("A new run rents every node, prepares each as it comes up, launches when all are ready", "[run]") {
  CHECK(plan(run_of(2, NodePhase::absent), event::Start{}) == Plan{"Create(0)", "Create(1)"});
  CHECK(plan(run_of(2, NodePhase::created), event::Provisioned{{1}}) == Plan{"Prepare(1)"});
  Snapshot half = run_of(2, NodePhase::ready);
  half.nodes[1].phase = NodePhase::created;
  CHECK(plan(half, event::Prepared{0}).empty());
  CHECK(plan(run_of(2, NodePhase::ready), event::Prepared{1}) == Plan{"Launch(1, spread [0,1])", "Follow"});
}

TEST_CASE("A job failure restarts the gang from node 0's checkpoints while restarts remain", "[run]") {
  Snapshot s = run_of(2, NodePhase::ready, 1);  // the attempt's end is already recorded
  const event::AttemptEnded failed{{AttemptOutcome::failed, 3, "failed: rank 1 exited 3"}};
  CHECK(plan(s, failed) == Plan{"PullCheckpoints", "Launch(2, restart, spread [1])", "Follow"});
  s.restarts = 3;
  CHECK(plan(s, failed) == Plan{"PullCheckpoints", "Finish(failed)"});
  auto finish = std::get<action::Finish>(decide(s, failed).back());
  CHECK(finish.exit_code == 3);
  CHECK(finish.reason == "failed: rank 1 exited 3");
}

TEST_CASE("Success and a stop end the run after the last pull", "[run]") {
  Snapshot s = run_of(1, NodePhase::ready, 1);
  CHECK(plan(s, event::AttemptEnded{{AttemptOutcome::succeeded, 0, "succeeded"}}) ==
        Plan{"PullCheckpoints", "Finish(succeeded)"});
  CHECK(plan(s, event::AttemptEnded{{AttemptOutcome::stopped, 1, "stopped"}}) ==
        Plan{"PullCheckpoints", "Finish(stopped)"});
}

TEST_CASE("A host lost during training: survivors stop, checkpoints come home, the node is replaced", "[run]") {
  Snapshot s = run_of(2, NodePhase::running, 1);
  CHECK(plan(s, event::HostLost{1, "connection reset"}) ==
        Plan{"StopWorkers(except 1)", "PullCheckpoints", "Release(1, lost)", "Create(1)"});
  // Node 0 lost: its checkpoints cannot be pulled; the laptop's copies are what is left.
  CHECK(plan(s, event::HostLost{0, "connection reset"}) ==
        Plan{"StopWorkers(except 0)", "Release(0, lost)", "Create(0)"});
  auto release = std::get<action::Release>(decide(s, event::HostLost{1, "connection reset"})[2]);
  CHECK(release.reason == "connection reset");
}

TEST_CASE("After a replacement is ready the next attempt is not a restart, and the new host gets the checkpoints",
          "[run]") {
  Snapshot s = run_of(2, NodePhase::ready, 1);
  s.host_losses = 1;
  CHECK(plan(s, event::Prepared{1}) == Plan{"Launch(2, spread [1])", "Follow"});
  // Node 0 was the one replaced: every node needs the laptop's checkpoints.
  s.nodes[0].holds_checkpoints = false;
  CHECK(plan(s, event::Prepared{0}) == Plan{"Launch(2, spread [0,1])", "Follow"});
}

TEST_CASE("A host lost while it is being provisioned or prepared is replaced, no workers to stop", "[run]") {
  Snapshot s = run_of(2, NodePhase::ready);
  s.nodes[1].phase = NodePhase::created;
  CHECK(plan(s, event::HostLost{1, "instance exited"}) == Plan{"Release(1, lost)", "Create(1)"});
  CHECK(plan(s, event::PrepareFailed{1, k_lost}) == Plan{"Release(1, lost)", "Create(1)"});
}

TEST_CASE("A second loss while replacing replaces that node too", "[run]") {
  Snapshot s = run_of(3, NodePhase::ready, 1);
  s.nodes[1].phase = NodePhase::created;  // the replacement of node 1 is booting
  s.host_losses = 1;
  CHECK(plan(s, event::HostLost{2, "no heartbeat"}) == Plan{"Release(2, lost)", "Create(2)"});
  // The replacement itself dying counts as another loss.
  CHECK(plan(s, event::HostLost{1, "never booted"}) == Plan{"Release(1, lost)", "Create(1)"});
}

TEST_CASE("A host lost during resume is replaced before the run goes on", "[run]") {
  Snapshot s = run_of(2, NodePhase::ready, 2);
  s.state = RunState::detached;
  CHECK(plan(s, event::Resumed{false}) == Plan{"Prepare(0)", "Prepare(1)"});
  CHECK(plan(s, event::Resumed{true}) == Plan{"Follow"});
  CHECK(plan(s, event::PrepareFailed{0, k_lost}) == Plan{"Release(0, lost)", "Create(0)"});
  // Released hosts are rented again for their nodes only.
  s.nodes[1].phase = NodePhase::absent;
  CHECK(plan(s, event::Start{}) == Plan{"Prepare(0)", "Create(1)"});
}

TEST_CASE("Host losses are bounded by max_host_losses", "[run]") {
  Snapshot s = run_of(2, NodePhase::running, 3);
  s.host_losses = 5;
  CHECK(plan(s, event::HostLost{1, "gone"}) ==
        Plan{"StopWorkers(except 1)", "PullCheckpoints", "Release(1, lost)", "Finish(failed)"});
  auto finish = std::get<action::Finish>(decide(s, event::HostLost{1, "gone"}).back());
  CHECK_THAT(finish.reason, Catch::Contains("max_host_losses (5)"));
}

TEST_CASE("Heartbeats: a host silent for host_timeout is lost (watch_policy reports only that)", "[run]") {
  Snapshot s = run_of(2, NodePhase::running, 1);
  CHECK(plan(s, event::HeartbeatMissed{1, 10.0}) ==
        Plan{"StopWorkers(except 1)", "PullCheckpoints", "Release(1, lost)", "Create(1)"});
  auto release = std::get<action::Release>(decide(s, event::HeartbeatMissed{1, 12.7})[2]);
  CHECK(release.reason == "no heartbeat for 12 s");
}

TEST_CASE("A loss reported for a node already released is ignored", "[run]") {
  Snapshot s = run_of(2, NodePhase::ready, 1);
  s.nodes[1].phase = NodePhase::absent;
  CHECK(plan(s, event::HostLost{1, "late report"}).empty());
  CHECK(plan(s, event::HostLost{7, "no such node"}).empty());
}

TEST_CASE("Errors that are the user's to fix end the run instead of replacing hosts", "[run]") {
  Snapshot s = run_of(1, NodePhase::created);
  const Error no_torch{ErrorKind::usage, "the interpreter 'python3' on h has no torch module"};
  auto actions = decide(s, event::PrepareFailed{0, no_torch});
  REQUIRE(actions.size() == 1);
  auto finish = std::get<action::Finish>(actions[0]);
  CHECK(finish.state == RunState::failed);
  CHECK(finish.exit_code == 2);
  REQUIRE(finish.error);
  CHECK(finish.error->message == no_torch.message);
  CHECK(plan(s, event::ProvisionFailed{0, {ErrorKind::usage, "no such GPU"}}) == Plan{"Finish(failed)"});
  // A launch that fails for a reason other than a lost host stops what did start.
  Snapshot launching = run_of(2, NodePhase::running, 1);
  CHECK(plan(launching, event::LaunchFailed{1, {ErrorKind::remote, "agent refused"}}) ==
        Plan{"StopWorkers", "PullCheckpoints", "Finish(failed)"});
}

TEST_CASE("Ctrl-C: detach leaves the job running, stop ends it, while renting it stops", "[run]") {
  Snapshot s = run_of(2, NodePhase::running, 1);
  CHECK(plan(s, event::Interrupted{false}) == Plan{"Detach"});
  CHECK(plan(s, event::Interrupted{true}) == Plan{"StopWorkers", "PullCheckpoints", "Finish(stopped)"});
  CHECK(plan(run_of(2, NodePhase::created), event::Interrupted{false}) == Plan{"Finish(stopped)"});
  CHECK(plan(run_of(2, NodePhase::created), event::ProvisionFailed{0, {ErrorKind::interrupted, "interrupted"}}) ==
        Plan{"Finish(stopped)"});
  CHECK(std::get<action::Finish>(decide(s, event::Interrupted{true}).back()).exit_code == 130);
}

TEST_CASE("choline stop and the cost limit end the run with checkpoints saved", "[run]") {
  Snapshot s = run_of(1, NodePhase::running, 1);
  CHECK(plan(s, event::StopRequested{}) == Plan{"StopWorkers", "PullCheckpoints", "Finish(stopped)"});
  CHECK(std::get<action::Finish>(decide(s, event::StopRequested{}).back()).exit_code == 0);
  auto cost = decide(s, event::CostLimitReached{12.5});
  CHECK(std::get<action::Finish>(cost.back()).reason == "cost limit reached ($12.50 spent)");
}

TEST_CASE("An observer (logs -f) records the end but neither restarts nor replaces", "[run]") {
  Snapshot s = run_of(2, NodePhase::ready, 1);
  s.observer = true;
  CHECK(plan(s, event::AttemptEnded{{AttemptOutcome::failed, 1, "failed"}}) ==
        Plan{"PullCheckpoints", "Finish(failed)"});
  s.nodes.assign(2, NodeView{NodePhase::running, false});
  s.attempt_running = true;
  CHECK(plan(s, event::HostLost{1, "gone"}) ==
        Plan{"StopWorkers(except 1)", "PullCheckpoints", "Release(1, lost)", "Finish(failed)"});
}

TEST_CASE("A finished run ignores every event", "[run]") {
  Snapshot s = run_of(1, NodePhase::ready, 1);
  s.state = RunState::succeeded;
  CHECK(decide(s, event::Start{}).empty());
  CHECK(decide(s, event::HostLost{0, "x"}).empty());
}

TEST_CASE("The snapshot reads nodes, attempts and counts from the record", "[run]") {
  RunRecord record;
  record.options.spec.nodes = 2;
  record.options.max_restarts = 2;
  record.state = RunState::running;
  HostRecord lost;
  lost.node = 1;
  lost.state = HostState::released;
  HostRecord node0;
  node0.node = 0;
  node0.state = HostState::ready;
  node0.agent_pid = 42;
  HostRecord node1;
  node1.node = 1;
  node1.state = HostState::created;
  record.hosts = {lost, node0, node1};
  record.host_losses.push_back({1, "h1", "gone", ""});
  record.attempts.push_back({1, "t", "", "", std::nullopt, ""});
  Snapshot s = snapshot_of(record);
  REQUIRE(s.nodes.size() == 2);
  CHECK(s.nodes[0].phase == NodePhase::running);
  CHECK(s.nodes[0].holds_checkpoints);
  CHECK(s.nodes[1].phase == NodePhase::created);
  CHECK(s.attempt == 1);
  CHECK(s.attempt_running);
  CHECK(s.host_losses == 1);
  CHECK(s.max_restarts == 2);
  record.attempts.back().ended_at = "t2";
  CHECK(snapshot_of(record).nodes[0].phase == NodePhase::ready);
}

TEST_CASE("A refused create tries the next offer, a bounded number of times, a bad key does not", "[run]") {
  Snapshot s = run_of(2, NodePhase::absent);
  s.provision_failures = 1;
  CHECK(plan(s, event::ProvisionFailed{1, {ErrorKind::capacity, "sold out"}}) == Plan{"Create(1)"});
  CHECK(plan(s, event::ProvisionFailed{1, {ErrorKind::not_found, "offer gone"}}) == Plan{"Create(1)"});
  CHECK(plan(s, event::ProvisionFailed{0, {ErrorKind::network, "503 for a minute"}}) == Plan{"Create(0)"});
  CHECK(plan(s, event::ProvisionFailed{0, {ErrorKind::auth, "bad key"}}) == Plan{"Finish(failed)"});
  CHECK(plan(s, event::ProvisionFailed{0, {ErrorKind::usage, "no such GPU"}}) == Plan{"Finish(failed)"});
  s.provision_failures = k_max_create_tries;
  CHECK(plan(s, event::ProvisionFailed{1, {ErrorKind::capacity, "sold out"}}) == Plan{"Finish(failed)"});
}

TEST_CASE("No replacement to be had: wait with backoff up to replacement_timeout, then stop", "[run]") {
  Snapshot s = run_of(2, NodePhase::ready, 1);
  s.nodes[1].phase = NodePhase::absent;
  s.host_losses = 1;
  s.provision_failures = k_max_create_tries;
  s.replacement_timeout_s = 100;
  const event::ProvisionFailed sold_out{1, {ErrorKind::capacity, "no free host"}};
  CHECK(plan(s, sold_out) == Plan{"Wait(1, 30)"});
  CHECK(plan(s, event::WaitOver{1}) == Plan{"Create(1)"});
  s.provision_failures += 2;
  s.replacement_waited_s = 90;
  CHECK(plan(s, sold_out) == Plan{"Wait(1, 10)"});  // never past the timeout
  s.replacement_waited_s = 100;
  CHECK(plan(s, sold_out) == Plan{"Finish(stopped)"});
  CHECK_THAT(std::get<action::Finish>(decide(s, sold_out).back()).reason, Catch::Contains("checkpoints are at home"));
  // The first rent of a run is not a replacement: it gives up instead of waiting.
  s.host_losses = 0;
  CHECK(plan(s, sold_out) == Plan{"Finish(failed)"});
}

TEST_CASE("Hosts that came up together are prepared together", "[run]") {
  CHECK(plan(run_of(3, NodePhase::created), event::Provisioned{{0, 2}}) == Plan{"Prepare(0)", "Prepare(2)"});
}

TEST_CASE("decide plans one Launch, once every node is prepared", "[run]") {
  // The executor marks a node ready when its Prepared event is handled, so the snapshots below
  // are what three Prepared events in a row see.
  Snapshot s = run_of(3, NodePhase::created);
  s.nodes[0].phase = NodePhase::ready;
  CHECK(plan(s, event::Prepared{0}).empty());
  s.nodes[2].phase = NodePhase::ready;
  CHECK(plan(s, event::Prepared{2}).empty());
  s.nodes[1].phase = NodePhase::ready;
  CHECK(plan(s, event::Prepared{1}) == Plan{"Launch(1, spread [0,1,2])", "Follow"});
  // Once the attempt runs, a late Prepared plans nothing.
  s.nodes.assign(3, NodeView{NodePhase::running, false});
  s.attempt = 1;
  s.attempt_running = true;
  CHECK(plan(s, event::Prepared{1}).empty());
}

TEST_CASE("A gang restart carries the restart's number", "[run]") {
  Snapshot s = run_of(1, NodePhase::ready, 1);
  s.restarts = 1;
  auto actions = decide(s, event::AttemptEnded{{AttemptOutcome::failed, 3, "failed"}});
  auto launch = std::get<action::Launch>(actions[1]);
  CHECK(launch.restart);
  CHECK(launch.restart_number == 2);
  CHECK(std::get<action::Launch>(decide(run_of(1, NodePhase::ready), event::Prepared{0})[0]).restart_number == 0);
}

TEST_CASE("A stop asked from outside the run ends it with that reason and exit 0", "[run]") {
  Snapshot s = run_of(1, NodePhase::running, 1);
  auto actions = decide(s, event::StopRequested{"stopped early at rung 1 (ASHA)"});
  CHECK(plan(s, event::StopRequested{"x"}) == Plan{"StopWorkers", "PullCheckpoints", "Finish(stopped)"});
  auto finish = std::get<action::Finish>(actions.back());
  CHECK(finish.reason == "stopped early at rung 1 (ASHA)");
  CHECK(finish.exit_code == 0);
}

TEST_CASE("The command's result: the Finish's error, else a journal write that failed, else its exit code", "[run]") {
  action::Finish ok{RunState::succeeded, "succeeded", 0, std::nullopt};
  CHECK(*command_result(ok, std::nullopt) == 0);
  const Error disk{ErrorKind::io, "disk full"};
  CHECK(command_result(ok, disk).error().message == "disk full");
  action::Finish failed{RunState::failed, "no torch", 2, Error{ErrorKind::usage, "no torch"}};
  CHECK(command_result(failed, disk).error().message == "no torch");
}

TEST_CASE("Other interpreters are tried only where the host is this machine and the error is the user's", "[run]") {
  const Error no_torch{ErrorKind::usage, "no torch"};
  CHECK(should_try_other_interpreters(no_torch, true));
  CHECK_FALSE(should_try_other_interpreters(no_torch, false));
  CHECK_FALSE(should_try_other_interpreters({ErrorKind::network, "reset"}, true));
  CHECK(fallback_interpreters("python3") == std::vector<std::string>{"/usr/bin/python3", "python"});
}

TEST_CASE("A warm host's interpreter is not asked again when its preparation found torch in one this run may use",
          "[run]") {
  // Warm, and checked: the interpreter itself, or the fallback this configuration settled on.
  CHECK(interpreter_known_on_host(true, "python3", "python3") == std::optional<std::string>("python3"));
  CHECK(interpreter_known_on_host(true, "/usr/bin/python3", "python3") ==
        std::optional<std::string>("/usr/bin/python3"));
  // Cold (new, a replacement, adopted by a resumed sweep, prepared for other setup): asked.
  CHECK_FALSE(interpreter_known_on_host(false, "python3", "python3"));
  // Warm but never checked (the last run's entry was not a .py): asked.
  CHECK_FALSE(interpreter_known_on_host(true, "", "python3"));
  // Warm with an interpreter this configuration would never settle on: asked.
  CHECK_FALSE(interpreter_known_on_host(true, "/opt/venv/bin/python", "python3"));
}
