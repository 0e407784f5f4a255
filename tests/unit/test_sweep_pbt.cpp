// PBT's decisions: who is due, who copies whom, and how parameters are perturbed.
#include <choline/sweep/pbt.hpp>
#include <choline/sweep/pbt_policy.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <set>

using namespace choline;
using namespace choline::sweep;
using json = nlohmann::json;

namespace {

SearchSpace pbt_space() {
  Problems problems;
  auto space = parse_search_space({{"lr", {{"distribution", "log_uniform_values"}, {"min", 1e-4}, {"max", 0.1}}},
                                   {"batch", {{"values", {16, 32, 64, 128}}}},
                                   {"layers", {{"min", 1}, {"max", 8}}},
                                   {"seed", {{"value", 3}}}},
                                  "parameters", problems);
  REQUIRE(problems.empty());
  return space;
}

PbtMember member(int id, double score, bool checkpoint, std::int64_t resource = 4) {
  return {id, {{"lr", 0.01}, {"batch", 32}, {"layers", 4}, {"seed", 3}}, score, resource, 0, checkpoint};
}

PbtSettings settings(double resample = 0.25) {
  PbtSettings s;
  s.interval = 4;
  s.resample_probability = resample;
  return s;
}

}  // namespace

TEST_CASE("The bottom quarter copies the top quarter's checkpoint", "[sweep]") {
  PopulationBasedTraining pbt(pbt_space(), settings(), Goal::maximize, 1);
  // Maximizing: ranked 1 (0.9), 2 (0.8), 3 (0.5), 4 (0.3); q = ceil(4 / 4) = 1.
  const auto round =
      pbt.decide({member(3, 0.5, true), member(1, 0.9, true), member(4, 0.3, false), member(2, 0.8, true)});
  CHECK(round.due == std::vector<int>{1, 2, 3, 4});
  REQUIRE(round.exploits.size() == 1);
  CHECK(round.exploits[0].trial_id == 4);
  CHECK(round.exploits[0].source_trial_id == 1);
  CHECK(round.exploits[0].why == "trial 4 (0.3) is in the bottom 1 of 4: copies trial 1 (0.9)");
  CHECK(round.exploits[0].params["seed"] == 3);
}

TEST_CASE("Minimizing, the bottom are the largest values, and q is capped at half", "[sweep]") {
  PbtSettings s = settings();
  s.quantile = 0.5;
  PopulationBasedTraining pbt(pbt_space(), s, Goal::minimize, 2);
  // Five members: q = min(ceil(2.5), floor(5 / 2)) = 2; bottom = 5 and 4, top = 1 and 2.
  const auto round = pbt.decide(
      {member(1, 0.1, true), member(2, 0.2, true), member(3, 0.3, true), member(4, 0.4, true), member(5, 0.5, true)});
  REQUIRE(round.exploits.size() == 2);
  CHECK(round.exploits[0].trial_id == 4);
  CHECK(round.exploits[1].trial_id == 5);
  for (const auto& e : round.exploits) CHECK((e.source_trial_id == 1 || e.source_trial_id == 2));
}

TEST_CASE("Only due trials act, and a top trial without a checkpoint is not copied", "[sweep]") {
  PopulationBasedTraining pbt(pbt_space(), settings(), Goal::maximize, 3);
  // Trial 4 is at resource 3: not due (interval 4).
  auto not_due =
      pbt.decide({member(1, 0.9, true), member(2, 0.8, true), member(3, 0.5, true), member(4, 0.3, true, 3)});
  CHECK(not_due.due == std::vector<int>{1, 2, 3});
  CHECK(not_due.exploits.empty());
  auto no_checkpoint =
      pbt.decide({member(1, 0.9, false), member(2, 0.8, true), member(3, 0.5, true), member(4, 0.3, true)});
  CHECK(no_checkpoint.exploits.empty());
  // One scored member is no population; unscored members are not ranked.
  PbtMember unscored = member(2, 0, true);
  unscored.score.reset();
  CHECK(pbt.decide({member(1, 0.9, true), unscored}).exploits.empty());
  // Burn-in holds everyone back.
  PbtSettings burn = settings();
  burn.burn_in = 10;
  PopulationBasedTraining late(pbt_space(), burn, Goal::maximize, 3);
  CHECK(late.decide({member(1, 0.9, true), member(2, 0.1, true)}).due.empty());
}

TEST_CASE("explore multiplies numbers by a factor and steps categories by one", "[sweep]") {
  PopulationBasedTraining pbt(pbt_space(), settings(0.0), Goal::maximize, 4);
  std::set<double> lrs;
  std::set<int> batches;
  std::set<int> layers;
  for (int i = 0; i < 200; ++i) {
    const json p = pbt.explore({{"lr", 0.01}, {"batch", 32}, {"layers", 4}, {"seed", 3}});
    lrs.insert(p["lr"].get<double>());
    batches.insert(p["batch"].get<int>());
    REQUIRE(p["layers"].is_number_integer());
    layers.insert(p["layers"].get<int>());
    REQUIRE(p["seed"] == 3);
  }
  CHECK(lrs.size() == 2);
  CHECK(*lrs.begin() == Approx(0.008));
  CHECK(*lrs.rbegin() == Approx(0.012));
  CHECK(batches == std::set<int>{16, 64});
  CHECK(layers == std::set<int>{3, 4});  // int(4 * 0.8) = 3, int(4 * 1.2) = 4
  // Clamped at the ends: the range and the list.
  const json edge = pbt.explore({{"lr", 0.1}, {"batch", 128}, {"layers", 8}, {"seed", 3}});
  CHECK(edge["lr"].get<double>() <= 0.1);
  CHECK(edge["layers"].get<int>() <= 8);
  CHECK(edge["batch"].get<int>() >= 64);
}

TEST_CASE("explore resamples with the resample probability", "[sweep]") {
  PopulationBasedTraining pbt(pbt_space(), settings(1.0), Goal::maximize, 5);
  std::set<int> batches;
  for (int i = 0; i < 100; ++i) {
    const json p = pbt.explore({{"lr", 0.01}, {"batch", 32}, {"layers", 4}, {"seed", 3}});
    REQUIRE(p["lr"].get<double>() >= 1e-4);
    REQUIRE(p["lr"].get<double>() < 0.1);
    batches.insert(p["batch"].get<int>());
  }
  CHECK(batches.size() == 4);
  // A value not in the list is always redrawn.
  PopulationBasedTraining never(pbt_space(), settings(0.0), Goal::maximize, 6);
  const int batch = never.explore({{"lr", 0.01}, {"batch", 48}, {"layers", 4}, {"seed", 3}})["batch"].get<int>();
  CHECK((batch == 16 || batch == 32 || batch == 64 || batch == 128));
}

TEST_CASE("The same seed and population give the same decisions", "[sweep]") {
  PopulationBasedTraining a(pbt_space(), settings(), Goal::maximize, 9);
  PopulationBasedTraining b(pbt_space(), settings(), Goal::maximize, 9);
  const std::vector<PbtMember> population = {member(1, 0.9, true), member(2, 0.8, true), member(3, 0.2, true),
                                             member(4, 0.3, true), member(5, 0.1, true), member(6, 0.7, true),
                                             member(7, 0.6, true), member(8, 0.4, true)};
  const auto ra = a.decide(population);
  const auto rb = b.decide(population);
  REQUIRE(ra.exploits.size() == 2);
  for (std::size_t i = 0; i < ra.exploits.size(); ++i) {
    CHECK(ra.exploits[i].source_trial_id == rb.exploits[i].source_trial_id);
    CHECK(ra.exploits[i].params == rb.exploits[i].params);
  }
}

namespace {

records::TrialRecord trial_at(int id, records::TrialStatus state, double latest, std::int64_t resource,
                              std::int64_t perturbed_at = 0) {
  records::TrialRecord trial;
  trial.id = id;
  trial.state = state;
  trial.params = {{"lr", 0.01 * id}, {"batch", 32}, {"layers", 4}, {"seed", 3}};
  trial.latest = latest;
  trial.best = latest;
  trial.resource = resource;
  trial.perturbed_at = perturbed_at;
  return trial;
}

}  // namespace

TEST_CASE("The PBT population is the running and finished trials, and a finished one is never due", "[sweep][pbt]") {
  using records::TrialStatus;
  records::SweepRecord sweep;
  sweep.trials = {trial_at(1, TrialStatus::running, 0.9, 8, 4), trial_at(2, TrialStatus::finished, 0.95, 12),
                  trial_at(3, TrialStatus::queued, 0.1, 4), trial_at(4, TrialStatus::failed, 0.1, 4),
                  trial_at(5, TrialStatus::running, 0.2, 8, 4)};
  const auto members = pbt_population(sweep, {1, 2});
  REQUIRE(members.size() == 3);
  CHECK(members[0].trial_id == 1);
  CHECK(members[0].last_perturbation == 4);
  CHECK(members[0].has_checkpoint);
  CHECK(members[1].trial_id == 2);
  CHECK(members[1].last_perturbation == 12);
  CHECK(members[2].trial_id == 5);
  CHECK_FALSE(members[2].has_checkpoint);

  // Due: 1 and 5 (8 - 4 >= 4), not the finished 2. Ranked 2, 1, 5: q = min(ceil(3/4), 1) = 1:
  // 5 copies 2, the finished trial, whose checkpoint is at home.
  PopulationBasedTraining pbt(pbt_space(), settings(0), Goal::maximize, 3);
  const auto round = pbt.decide(members);
  CHECK(round.due == std::vector<int>{1, 5});
  const auto exploits = take_round(sweep, round, {});
  REQUIRE(exploits.size() == 1);
  CHECK(exploits[0].trial_id == 5);
  CHECK(exploits[0].source_trial_id == 2);
  CHECK(sweep.trial(1)->perturbed_at == 8);
  CHECK(sweep.trial(5)->perturbed_at == 8);
  // A trial already being replaced is not replaced twice.
  CHECK(take_round(sweep, round, {5}).empty());
}

TEST_CASE("An exploit records what the trial was and goes on from the source's resource", "[sweep][pbt]") {
  auto trial = trial_at(5, records::TrialStatus::running, 0.2, 8, 8);
  PbtExploit exploit{5, 2, {{"lr", 0.024}, {"batch", 64}, {"layers", 4}, {"seed", 3}}, "in the bottom 1 of 3"};
  apply_exploit(trial, exploit, 12, "epoch", "2026-12-04T02:00:00.000Z");
  REQUIRE(trial.copies.size() == 1);
  CHECK(trial.copies[0].resource == 8);
  CHECK(trial.copies[0].from_trial == 2);
  CHECK(trial.copies[0].params_before["lr"] == 0.05);
  CHECK(trial.copies[0].at == "2026-12-04T02:00:00.000Z");
  CHECK(trial.params == exploit.params);
  CHECK(trial.resource == 12);
  CHECK(trial.perturbed_at == 12);
  CHECK(trial.why == "goes on from trial 2's newest checkpoint (that trial at epoch 12): in the bottom 1 of 3");
}

TEST_CASE("A trial queued after a copy goes on from it, also for a resumed sweep, and that is not a new try",
          "[sweep][pbt]") {
  auto trial = trial_at(5, records::TrialStatus::running, 0.2, 8, 8);
  trial.started_at = "2026-12-04T02:00:00.000Z";
  CHECK_FALSE(goes_on_from_copy(trial));
  apply_exploit(trial, {5, 2, trial.params, "bottom"}, 12, "step", "2026-12-04T02:05:00.000Z");
  trial.state = records::TrialStatus::queued;
  CHECK(goes_on_from_copy(trial));
  // It went on, and was queued again later for another reason (the sweep was stopped).
  trial.started_at = "2026-12-04T02:06:00.000Z";
  CHECK_FALSE(goes_on_from_copy(trial));
}
