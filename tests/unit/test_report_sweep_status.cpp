// `sweep status` and `sweep best` as text and JSON: the table's lines byte for byte, the order
// and arguments the caller gives, each state's wording, and the best trial's command quoted for
// a shell.
#include <choline/report/sweep_status.hpp>

#include <catch2/catch.hpp>

using namespace choline;

namespace {

records::TrialRecord trial_of(int id, records::TrialStatus state, std::optional<double> best) {
  records::TrialRecord trial;
  trial.id = id;
  trial.run_id = "sweep-s-t" + std::to_string(id);
  trial.state = state;
  trial.best = best;
  trial.latest = best;
  return trial;
}

// Two trials (one finished, one stopped early) and a third still queued, on the local provider.
records::SweepRecord sample_sweep() {
  records::SweepRecord sweep;
  sweep.id = "sweep-s";
  sweep.created_at = "2026-01-02T03:04:05Z";
  sweep.entry = "sw.py";
  sweep.source = {{"base_argv", {"/usr/bin/python3", "sw.py", "--steps", "9"}}};
  sweep.options.spec.gpu = "cpu";
  sweep.options.spec.count = 1;
  sweep.options.provider = "local";
  sweep.metric = "acc";
  sweep.maximize = true;
  sweep.parallel = 2;
  sweep.max_trials = 3;
  auto one = trial_of(1, records::TrialStatus::finished, 0.875);
  one.params = {{"lr", 0.01}, {"act", "it's"}};
  one.resource = 9;
  one.host = "sweep-s-node1";
  one.cost = 0.5;
  one.tries = 1;
  auto two = trial_of(2, records::TrialStatus::stopped, 0.25);
  two.params = {{"lr", 0.1}, {"act", "relu"}};
  two.rung = 1;
  two.resource = 3;
  two.host = "a-host-whose-name-is-far-too-long";
  two.tries = 1;
  auto three = trial_of(3, records::TrialStatus::queued, std::nullopt);
  sweep.trials = {one, two, three};
  return sweep;
}

report::SweepStatusInputs inputs_of(const records::SweepRecord& sweep) {
  // created_at plus 90 s; the local provider's hosts cost nothing.
  return {sweep,
          {1, 2, 3},
          {{1, {"--act=it's", "--lr=0.01"}}, {2, {"--act=relu", "--lr=0.1"}}, {3, {}}},
          1767323045.0 + 90};
}

}  // namespace

TEST_CASE("Sweep status text: the sweep's line, the header and a line per trial in the order given",
          "[report][sweep]") {
  const auto sweep = sample_sweep();
  const std::string text = report::sweep_status_text(inputs_of(sweep));
  CHECK(text ==
        "sweep sweep-s: running; 3 of 3 trials, 2 at once, spent $0.00, 1 min 30 s since it started\n"
        "trial state                     best acc    latest      resource  host                  cost    params\n"
        "1     finished                  0.875       0.875       9         node1                 $0.50   --act=it's "
        "--lr=0.01\n"
        "2     stopped early at rung 1   0.25        0.25        3         a-host-whose-name-is~ $0.00   --act=relu "
        "--lr=0.1\n"
        "3     queued                    -           -           0         -                     $0.00   \n");
}

TEST_CASE("Sweep status text follows the caller's order and names a cap and an ending's reason", "[report][sweep]") {
  auto sweep = sample_sweep();
  sweep.state = records::SweepState::stopped;
  sweep.reason = "stopped by the user";
  sweep.max_cost = 2.5;
  auto inputs = inputs_of(sweep);
  inputs.best_first = {2, 99, 1};  // an id the sweep does not hold is skipped
  const std::string text = report::sweep_status_text(inputs);
  CHECK(text.rfind("sweep sweep-s: stopped (stopped by the user); 3 of 3 trials, 2 at once, spent $0.00 of $2.50", 0) ==
        0);
  const auto two = text.find("\n2     "), one = text.find("\n1     ");
  REQUIRE(two != std::string::npos);
  REQUIRE(one != std::string::npos);
  CHECK(two < one);
  CHECK(text.find("\n3     ") == std::string::npos);
}

TEST_CASE("Sweep status JSON: trials in the order given, null values, the pool's hosts", "[report][sweep]") {
  auto sweep = sample_sweep();
  records::PoolHostRecord held, released;
  held.host.id = "sweep-s-node1";
  released.host.id = "sweep-s-node2";
  released.released_at = "2026-01-02T03:05:00Z";
  released.released_because = "the sweep ended";
  sweep.hosts = {held, released};
  const auto json = report::sweep_status_json(inputs_of(sweep));
  CHECK(json["id"] == "sweep-s");
  CHECK(json["state"] == "running");
  CHECK(json["metric"] == "acc");
  CHECK(json["maximize"] == true);
  CHECK(json["spent"] == 0.0);
  REQUIRE(json["trials"].size() == 3);
  CHECK(json["trials"][0]["id"] == 1);
  CHECK(json["trials"][0]["run_id"] == "sweep-s-t1");
  CHECK(json["trials"][0]["params"]["lr"] == 0.01);
  CHECK(json["trials"][1]["state"] == "stopped");
  CHECK(json["trials"][1]["state_text"] == "stopped early at rung 1");
  CHECK(json["trials"][1]["rung"] == 1);
  CHECK(json["trials"][2]["best"].is_null());
  CHECK(json["trials"][2]["latest"].is_null());
  CHECK(json["trials"][2]["copies"] == nlohmann::json::array());
  REQUIRE(json["hosts"].size() == 2);
  CHECK(json["hosts"][0]["released"] == false);
  CHECK(json["hosts"][1]["released"] == true);
  CHECK(json["hosts"][1]["released_because"] == "the sweep ended");
}

TEST_CASE("A trial's state as people read it", "[report][sweep]") {
  auto trial = trial_of(1, records::TrialStatus::stopped, 0.5);
  CHECK(report::trial_state_text(trial) == "stopped");
  trial.rung = 0;
  CHECK(report::trial_state_text(trial) == "stopped early at rung 0");
  trial.state = records::TrialStatus::failed;
  trial.tries = 1;
  CHECK(report::trial_state_text(trial) == "failed after 1 try");
  trial.tries = 3;
  CHECK(report::trial_state_text(trial) == "failed after 3 tries");
  trial.state = records::TrialStatus::queued;
  trial.tries = 0;
  CHECK(report::trial_state_text(trial) == "queued");
  trial.tries = 1;
  CHECK(report::trial_state_text(trial) == "queued to resume");
  trial.state = records::TrialStatus::running;
  CHECK(report::trial_state_text(trial) == "running");
  trial.tries = 2;
  CHECK(report::trial_state_text(trial) == "lost and resumed");
  trial.state = records::TrialStatus::lost;
  CHECK(report::trial_state_text(trial) == "lost");
  trial.state = records::TrialStatus::finished;
  CHECK(report::trial_state_text(trial) == "finished");
  // Population-based training replaced it: whose checkpoint it goes on from.
  trial.copies.push_back({3, 2, nlohmann::json::object(), ""});
  CHECK(report::trial_state_text(trial) == "finished, copied trial 2");
  trial.state = records::TrialStatus::queued;
  CHECK(report::trial_state_text(trial) == "queued, copied trial 2");
}

TEST_CASE("Sweep best: the best trial as a train command, its arguments quoted for a shell", "[report][sweep]") {
  auto sweep = sample_sweep();
  auto command = report::best_trial_command(inputs_of(sweep));
  REQUIRE(command);
  CHECK(*command ==
        "# trial 1 of sweep-s: acc 0.875 (finished)\n"
        "choline train sw.py --steps 9 --1xcpu '--act=it'\\''s' --lr=0.01\n");

  // Nodes and a provider other than local are part of the command; an entry the argv does not
  // hold is named alone.
  sweep.options.spec.nodes = 2;
  sweep.options.spec.gpu = "3090";
  sweep.options.spec.count = 4;
  sweep.options.provider = "vast";
  sweep.source = nlohmann::json::object();
  command = report::best_trial_command(inputs_of(sweep));
  REQUIRE(command);
  CHECK(command->find("\ncholine train sw.py --4x3090 --nodes 2 --provider vast '--act=it'\\''s' --lr=0.01\n") !=
        std::string::npos);
}

TEST_CASE("Sweep best without a value yet is not found and says where to look", "[report][sweep]") {
  auto sweep = sample_sweep();
  auto inputs = inputs_of(sweep);
  inputs.best_first = {3, 1, 2};  // as rank_trials never orders it, but the first one decides
  const auto command = report::best_trial_command(inputs);
  REQUIRE_FALSE(command);
  CHECK(command.error().kind == ErrorKind::not_found);
  CHECK(command.error().message == "sweep sweep-s has no trial with a value of acc yet (choline sweep status sweep-s)");
}

TEST_CASE("A trial's host: the pool's by its node, another by its id", "[report][sweep]") {
  const auto sweep = sample_sweep();
  CHECK(report::trial_host_text(sweep, "sweep-s-node1") == "node1");
  CHECK(report::trial_host_text(sweep, "a-host-whose-name-is-far-too-long") == "a-host-whose-name-is-far-too-long");
  CHECK(report::trial_host_text(sweep, "sweep-st-node1") == "sweep-st-node1");
  CHECK(report::trial_host_text(sweep, "") == "-");
}
