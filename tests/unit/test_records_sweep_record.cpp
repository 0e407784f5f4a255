// sweep.json: what a sweep leaves on the laptop survives a round trip, is found by id part, and
// names its trials' runs the way `choline logs SWEEP/7` asks for them.
#include <choline/records/sweep_record.hpp>

#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::records;

TEST_CASE("SweepRecord round-trips hosts and trials through sweep.json", "[records][sweep]") {
  testing::TempDir project;
  SweepRecord sweep;
  sweep.id = "sweep-20261204-010000-tr-abcd";
  sweep.project_dir = project.path.string();
  sweep.entry = "tr.py";
  sweep.options.provider = "local";
  sweep.parallel = 2;
  sweep.max_trials = 12;
  sweep.max_cost = 3.5;
  sweep.seed = 42;
  sweep.metric = "acc";
  sweep.maximize = true;
  sweep.source = {{"kind", "flags"}, {"params", {"lr=loguniform:1e-5:1e-1"}}};
  auto created = create_sweep(project.path, sweep);
  REQUIRE(created.ok());
  PoolHostRecord host;
  host.host.provider = "local";
  host.host.id = "h-1";
  host.host.price_per_hour = 3600;  // a dollar a second
  host.rented_at = "2026-12-04T01:00:00.000Z";
  host.released_at = "2026-12-04T01:00:10.000Z";
  created->hosts.push_back(host);
  TrialRecord trial;
  trial.id = 7;
  trial.params = {{"lr", 0.01}};
  trial.state = TrialStatus::stopped;
  trial.rung = 1;
  trial.best = 0.5;
  trial.resource = 3;
  trial.run_id = created->trial_run_id(7);
  trial.perturbed_at = 3;
  trial.copies.push_back({2, 4, {{"lr", 0.1}}, "2026-12-04T01:00:05.000Z"});
  created->trials.push_back(trial);
  REQUIRE(created->save().ok());

  auto loaded = find_sweep(project.path, "abcd");
  REQUIRE(loaded.ok());
  CHECK(loaded->id == sweep.id);
  CHECK(loaded->max_cost == 3.5);
  CHECK(loaded->seed == 42);
  CHECK(loaded->maximize);
  CHECK(loaded->source["kind"] == "flags");
  REQUIRE(loaded->trials.size() == 1);
  const TrialRecord* t = loaded->trial(7);
  REQUIRE(t);
  CHECK(t->state == TrialStatus::stopped);
  CHECK(t->rung == 1);
  CHECK(t->best == 0.5);
  CHECK_FALSE(t->latest.has_value());
  CHECK(t->run_id == sweep.id + "-t7");
  CHECK(t->params["lr"] == 0.01);
  CHECK(t->perturbed_at == 3);
  REQUIRE(t->copies.size() == 1);
  CHECK(t->copies[0].resource == 2);
  CHECK(t->copies[0].from_trial == 4);
  CHECK(t->copies[0].params_before["lr"] == 0.1);
  CHECK(t->copies[0].at == "2026-12-04T01:00:05.000Z");
  REQUIRE(loaded->hosts.size() == 1);
  CHECK(loaded->spent(0) == Approx(10.0));
  // A sweep created twice is refused: its journal is never overwritten.
  CHECK_FALSE(create_sweep(project.path, sweep).ok());
}

TEST_CASE("A damaged sweep.json is an error naming the file, and an unknown sweep says how to list them",
          "[records][sweep]") {
  testing::TempDir project;
  CHECK(find_sweep(project.path, "").error().kind == ErrorKind::not_found);
  std::filesystem::create_directories(sweeps_dir(project.path) / "sweep-x");
  std::ofstream(sweeps_dir(project.path) / "sweep-x" / "sweep.json")
      << R"({"id": "sweep-x", "trials": [{"state": "dancing"}]})";
  auto loaded = find_sweep(project.path, "sweep-x");
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().message.find("sweep.json") != std::string::npos);
  CHECK(loaded.error().message.find("dancing") != std::string::npos);
  CHECK(find_sweep(project.path, "nothing").error().message.find("choline sweep status") != std::string::npos);
}

TEST_CASE("SWEEP/N names trial N's run", "[records][sweep]") {
  CHECK(trial_run_ref("sweep-a/7") == "sweep-a-t7");
  CHECK(trial_run_ref("sweep-a/007") == "sweep-a-t7");
  CHECK_FALSE(trial_run_ref("sweep-a").has_value());
  CHECK_FALSE(trial_run_ref("sweep-a/x").has_value());
  CHECK_FALSE(trial_run_ref("/7").has_value());
}
