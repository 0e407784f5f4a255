// The sweep loop end to end on the fake provider: trials get their parameters, metrics reach
// the journal, the pool rents --parallel hosts once and releases them, a bad host is dropped.
#include <choline/records/checkpoint_index.hpp>
#include <choline/records/paths.hpp>
#include <choline/records/run_record.hpp>
#include <choline/sweep/command.hpp>
#include <choline/sweep/executor.hpp>
#include <choline/sweep/param_flag.hpp>
#include <choline/sweep/searcher.hpp>

#include "fakes/fake_provider.hpp"
#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace choline;
using namespace choline::sweep;

namespace {

struct SweepHarness {
  testing::TempDir project;
  std::shared_ptr<fakes::FakeWorld> world = std::make_shared<fakes::FakeWorld>();
  fakes::FakeProvider provider{world};
  fakes::FakeClock clock;
  std::ostringstream out;
  records::SweepRecord sweep;
  SweepJob job;
  std::function<void(SweepSeams&)> adjust;

  SweepHarness(int parallel, int trials) {
    auto space = parse_param_flags({"x=uniform:0:1"});
    REQUIRE(space.ok());
    job.config.space = *space;
    job.config.metric = Metric{"score", Goal::minimize, std::nullopt};
    job.config.stopper = StopperKind::none;
    job.base_argv = {"python3", "tr.py", "--epochs", "3"};
    sweep.id = "sweep-test";
    sweep.project_dir = project.path.string();
    sweep.entry = "tr.py";
    sweep.options.provider = "fake";
    sweep.options.spec = {"RTX3090", 1, 1};
    sweep.parallel = parallel;
    sweep.max_trials = trials;
    sweep.seed = 7;
    sweep.metric = "score";
    auto created = records::create_sweep(project.path, sweep);
    REQUIRE(created.ok());
    sweep = *created;
    // Each trial reports (x - 0.3)^2 at steps 1..3: the best trials have x near 0.3.
    world->rank0_lines = [](const agent::JobSpec& spec) {
      const auto params = nlohmann::json::parse(spec.env.at("CHOLINE_PARAMS"));
      const double x = params["x"].get<double>();
      std::vector<std::string> lines;
      for (int step = 1; step <= 3; ++step) {
        lines.push_back("choline-metrics: " +
                        nlohmann::json{{"step", step}, {"score", (x - 0.3) * (x - 0.3) + 1.0 / step}}.dump());
      }
      return lines;
    };
  }

  Result<int> run() {
    SweepSeams seams;
    seams.provider = &provider;
    seams.open_host = provider.opener();
    seams.clock = &clock;
    seams.wall_clock = [] { return 0.0; };
    seams.poll_every = std::chrono::milliseconds(10);
    if (adjust) adjust(seams);
    return run_sweep(sweep, job, seams, out);
  }

  int live() {
    std::lock_guard lock(world->mutex);
    return static_cast<int>(world->live.size());
  }
};

}  // namespace

TEST_CASE("Sweep: trials run on --parallel hosts rented once, get their parameters, and are journaled",
          "[sweep][executor]") {
  SweepHarness h(2, 6);
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  INFO(h.out.str());
  CHECK(h.world->creates == 2);
  CHECK(h.live() == 0);
  REQUIRE(h.world->launches.size() == 6);
  for (const auto& launch : h.world->launches) {
    // --name=value after the entry and its own arguments; the id and the JSON in the environment.
    REQUIRE(launch.command.size() == 5);
    CHECK(launch.command[3] == "3");
    CHECK(launch.command[4].rfind("--x=", 0) == 0);
    CHECK(launch.env.count("CHOLINE_TRIAL"));
    CHECK(launch.run_id == "sweep-test-t" + launch.env.at("CHOLINE_TRIAL"));
  }
  auto journal = records::load_sweep(h.sweep.dir);
  REQUIRE(journal.ok());
  CHECK(journal->state == records::SweepState::finished);
  REQUIRE(journal->trials.size() == 6);
  for (const auto& trial : journal->trials) {
    CHECK(trial.state == records::TrialStatus::finished);
    REQUIRE(trial.best);
    const double x = trial.params["x"].get<double>();
    CHECK(*trial.best == Approx((x - 0.3) * (x - 0.3) + 1.0 / 3));
    CHECK(trial.resource == 3);
    CHECK(trial.tries == 1);
    CHECK(std::filesystem::exists(records::runs_dir(h.project.path) / trial.run_id / "run.json"));
  }
  // Every host of the pool recorded, and released at the end.
  REQUIRE(journal->hosts.size() == 2);
  for (const auto& host : journal->hosts) {
    CHECK_FALSE(host.released_at.empty());
    CHECK(host.released_because == "sweep finished");
  }
  CHECK(h.out.str().find("choline: best trial ") != std::string::npos);
}

TEST_CASE("Sweep: a host on which trials keep failing is dropped and replaced, its trials requeued",
          "[sweep][executor]") {
  SweepHarness h(2, 8);
  h.world->failing_hosts = {"fake-1"};
  auto code = h.run();
  REQUIRE(code.ok());
  INFO(h.out.str());
  auto journal = records::load_sweep(h.sweep.dir);
  REQUIRE(journal.ok());
  CHECK(journal->state == records::SweepState::finished);
  const auto* bad = journal->host("fake-1");
  REQUIRE(bad);
  CHECK(bad->released_because.find("trials in a row failed on it") != std::string::npos);
  CHECK(h.world->creates == 3);  // the replacement
  int failed = 0;
  for (const auto& trial : journal->trials) failed += trial.state == records::TrialStatus::failed;
  CHECK(failed <= 1);  // a failure before any trial succeeded anywhere stays a failure
  CHECK(h.live() == 0);
}

TEST_CASE("Sweep: a script that fails everywhere gives the sweep up after three failures, hosts released",
          "[sweep][executor]") {
  SweepHarness h(1, 10);
  h.world->failing_hosts = {"fake-0"};
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 1);
  auto journal = records::load_sweep(h.sweep.dir);
  REQUIRE(journal.ok());
  CHECK(journal->state == records::SweepState::failed);
  CHECK(journal->trials.size() == 3);
  CHECK(journal->reason.find("the script fails") != std::string::npos);
  CHECK(h.live() == 0);
}

TEST_CASE("Sweep: a sweep that gives up stops its running trials too, and releases every host", "[sweep][executor]") {
  SweepHarness h(2, 6);
  // Every job's rank 0 exits 1 (a broken script), trial 2's only once it is told to stop.
  h.world->failing_hosts = {"fake-0", "fake-1"};
  h.world->hold_after_lines = [](const agent::JobSpec& spec) { return spec.env.at("CHOLINE_TRIAL") == "2"; };
  auto code = h.run();
  REQUIRE(code.ok());
  INFO(h.out.str());
  CHECK(*code == 1);
  auto journal = records::load_sweep(h.sweep.dir);
  REQUIRE(journal.ok());
  CHECK(journal->state == records::SweepState::failed);
  CHECK(journal->reason.find("the script fails") != std::string::npos);
  REQUIRE(journal->trial(2));
  CHECK(journal->trial(2)->state == records::TrialStatus::queued);
  CHECK(h.live() == 0);
}

TEST_CASE("Sweep: a resumed sweep keeps its finished trials and draws new parameters for the rest",
          "[sweep][executor]") {
  SweepHarness h(1, 3);
  REQUIRE(h.run().ok());
  REQUIRE(h.world->launches.size() == 3);
  // More trials wanted, as if the driver had died after three: the journal is read back.
  auto journal = records::load_sweep(h.sweep.dir);
  REQUIRE(journal.ok());
  h.sweep = *journal;
  h.sweep.max_trials = 6;
  h.sweep.state = records::SweepState::running;
  auto code = h.run();
  REQUIRE(code.ok());
  CHECK(*code == 0);
  CHECK(h.world->launches.size() == 6);  // the finished trials did not run again
  std::set<std::string> params;
  for (const auto& trial : h.sweep.trials) {
    CHECK(trial.state == records::TrialStatus::finished);
    params.insert(trial.params.dump());
  }
  CHECK(h.sweep.trials.size() == 6);
  CHECK(params.size() == 6);
}

// Population-based training, carried out: four trials run at once; the worst one, checked at step 3
// when every trial has a score and the best has a checkpoint at home, is stopped, takes the best
// trial's checkpoint and perturbed parameters, and goes on from the copy as the same trial.
TEST_CASE("Sweep PBT: the bottom trial is stopped, copies the top trial's checkpoint and goes on with its parameters",
          "[sweep][executor][pbt]") {
  SweepHarness h(4, 4);
  h.job.config.method = Method::pbt;
  h.job.config.pbt.interval = 3;
  // The population the sweep will draw (the same seeded searcher, asked in the same order).
  std::map<int, double> x;
  auto searcher = make_searcher(h.job.config, h.sweep.seed);
  for (int id = 1; id <= 4; ++id) x[id] = (*searcher->ask(id))["x"].get<double>();
  auto score = [](double v) { return (v - 0.3) * (v - 0.3); };
  int worst = 1, best = 1;
  for (int id = 2; id <= 4; ++id) {
    if (score(x[id]) > score(x[worst])) worst = id;
    if (score(x[id]) < score(x[best])) best = id;
  }
  const std::string worst_run = "sweep-test-t" + std::to_string(worst);
  const std::string best_run = "sweep-test-t" + std::to_string(best);

  std::mutex mutex;
  std::set<std::string> pulled, holding;
  auto relaunched = [&] {
    std::lock_guard lock(h.world->mutex);
    return std::any_of(h.world->launches.begin(), h.world->launches.end(),
                       [&](const agent::JobSpec& job) { return job.run_id == worst_run && job.attempt > 1; });
  };
  h.adjust = [&](SweepSeams& seams) {
    seams.checkpoint_pull_every = std::chrono::milliseconds(10);
    seams.hooks.checkpoints_pulled = [&](const records::RunRecord& run) {
      std::lock_guard lock(mutex);
      pulled.insert(run.id);
    };
  };
  // The others report step 1 and hold; the worst waits for them and for the best's checkpoint,
  // then reports steps 1 to 3 (due at 3) and holds until it is stopped. Its second attempt goes on
  // at step 4 and ends; then the others end.
  h.world->rank0_lines = [&](const agent::JobSpec& spec) {
    const int trial = std::stoi(spec.env.at("CHOLINE_TRIAL"));
    const double v = nlohmann::json::parse(spec.env.at("CHOLINE_PARAMS"))["x"].get<double>();
    int first = 1, last = 1;
    if (spec.attempt > 1) {
      first = 4;
      last = 6;
    } else if (trial == worst) {
      for (;;) {
        {
          std::lock_guard lock(mutex);
          if (holding.size() == 3 && pulled.count(best_run)) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      last = 3;
    }
    std::vector<std::string> lines;
    for (int step = first; step <= last; ++step)
      lines.push_back("choline-metrics: " + nlohmann::json{{"step", step}, {"score", score(v)}}.dump());
    return lines;
  };
  h.world->hold_after_lines = [&](const agent::JobSpec& spec) {
    if (spec.attempt > 1) return false;
    if (spec.run_id == worst_run) return true;
    {
      std::lock_guard lock(mutex);
      holding.insert(spec.run_id);
    }
    return !relaunched();
  };

  auto code = h.run();
  REQUIRE(code.ok());
  INFO(h.out.str());
  CHECK(*code == 0);
  CHECK(h.out.str().find("choline: trial " + std::to_string(worst) + " is replaced: ") != std::string::npos);
  CHECK(h.out.str().find("choline: trial " + std::to_string(worst) + " goes on from trial " + std::to_string(best) +
                         "'s checkpoint: --x=") != std::string::npos);
  CHECK(h.world->creates == 4);
  CHECK(h.live() == 0);

  auto journal = records::load_sweep(h.sweep.dir);
  REQUIRE(journal.ok());
  CHECK(journal->state == records::SweepState::finished);
  const records::TrialRecord* replaced = journal->trial(worst);
  REQUIRE(replaced);
  CHECK(replaced->state == records::TrialStatus::finished);
  CHECK(replaced->tries == 1);  // a copy is not a new try
  REQUIRE(replaced->copies.size() == 1);
  CHECK(replaced->copies[0].from_trial == best);
  CHECK(replaced->copies[0].resource == 3);
  CHECK(replaced->copies[0].params_before["x"].get<double>() == x[worst]);
  CHECK(replaced->params["x"].get<double>() != x[worst]);
  CHECK(replaced->resource == 6);
  // Its checks count from the copy's resource (the best's, 1): due again at 4, where it is no
  // longer in the bottom.
  CHECK(replaced->perturbed_at == 4);
  for (int id = 1; id <= 4; ++id) {
    if (id != worst) CHECK(journal->trial(id)->copies.empty());
  }

  // Its second attempt: the new parameters on the command line and in the environment, resumed
  // from the best trial's checkpoint, which its run now holds.
  const agent::JobSpec* second = nullptr;
  for (const auto& launch : h.world->launches) {
    if (launch.run_id == worst_run && launch.attempt == 2) second = &launch;
  }
  REQUIRE(second);
  CHECK(second->env.at("CHOLINE_PARAMS") == replaced->params.dump());
  CHECK(second->command.back() == trial_args(replaced->params).back());
  CHECK(second->resume_from == h.sweep.options.checkpoint_dir + "/epoch-1.pt");
  auto run = records::load_run(records::runs_dir(h.project.path) / worst_run);
  REQUIRE(run.ok());
  CHECK(run->command == second->command);
  CHECK(std::filesystem::exists(run->checkpoints_dir() / "epoch-1.pt"));
}
