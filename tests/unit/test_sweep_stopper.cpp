// The stoppers on fixed observation sequences, each decision worked out by hand in the comments.
#include <choline/sweep/stopper.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace choline::sweep;

namespace {

std::string at(Stopper& s, int trial, std::int64_t resource, double value) {
  const auto d = s.report(trial, resource, value);
  return std::string(d.stop ? "STOP " : "go ") + std::to_string(d.rung) + (d.why.empty() ? "" : " " + d.why);
}

}  // namespace

TEST_CASE("ASHA rungs are grace times powers of eta", "[sweep]") {
  CHECK(asha_rungs({1, 3}, 100) == std::vector<double>{1, 3, 9, 27, 81});
  CHECK(asha_rungs({2, 2}, 16) == std::vector<double>{2, 4, 8, 16});
  CHECK(asha_rungs({10, 3}, 5).empty());
}

TEST_CASE("ASHA promotes the top third at each rung, by hand", "[sweep]") {
  // grace 1, eta 3: rungs at 1, 3, 9. Minimizing a loss; rewards are negated losses and the
  // cutoff is numpy's 66.7th percentile of the rewards recorded at the rung before the trial.
  auto asha = make_asha_stopper({1, 3}, Goal::minimize);
  Stopper& s = *asha;
  // Rung 0 (resource 1).
  CHECK(at(s, 1, 1, 0.9) == "go 0 rung 0 (resource 1): the first trial here goes on");
  // [-0.9]: cutoff -0.9; -0.8 >= -0.9.
  CHECK(at(s, 2, 1, 0.8) == "go 0 rung 0 (resource 1): 0.8 reaches the cutoff 0.9 (top 1/3 of 1 trials)");
  // [-0.9, -0.8]: cutoff -0.9 + 2/3 * 0.1 = -0.8333; -1.0 is below.
  CHECK(at(s, 3, 1, 1.0) == "STOP 0 rung 0 (resource 1): 1 is worse than the cutoff 0.833333 (top 1/3 of 2 trials)");
  // [-1.0, -0.9, -0.8]: position 4/3: -0.9 + 1/3 * 0.1 = -0.8667; -0.85 is above.
  CHECK(at(s, 4, 1, 0.85) == "go 0 rung 0 (resource 1): 0.85 reaches the cutoff 0.866667 (top 1/3 of 3 trials)");
  // Between rungs nothing is judged.
  CHECK(at(s, 1, 2, 0.7) == "go -1");
  // Rung 1 (resource 3).
  CHECK(at(s, 1, 3, 0.6) == "go 1 rung 1 (resource 3): the first trial here goes on");
  CHECK(at(s, 2, 3, 0.7) == "STOP 1 rung 1 (resource 3): 0.7 is worse than the cutoff 0.6 (top 1/3 of 1 trials)");
  // [-0.6, -0.7]: cutoff -0.7 + 2/3 * 0.1 = -0.6333; -0.5 is above.
  CHECK(at(s, 4, 3, 0.5) == "go 1 rung 1 (resource 3): 0.5 reaches the cutoff 0.633333 (top 1/3 of 2 trials)");
  // A stopped trial stays stopped.
  CHECK(s.report(3, 2, 0.1).stop);
  CHECK(s.report(2, 4, 0.1).stop);
  // A first report past several rungs is judged at the highest: [-0.7, -0.6, -0.5] at rung 1,
  // position 4/3: -0.6 + 1/3 * 0.1 = -0.5667; -0.3 is above.
  CHECK(at(s, 5, 5, 0.3) == "go 1 rung 1 (resource 3): 0.3 reaches the cutoff 0.566667 (top 1/3 of 3 trials)");
  // Rung 2 (resource 9).
  CHECK(at(s, 1, 9, 0.4) == "go 2 rung 2 (resource 9): the first trial here goes on");
  CHECK(at(s, 4, 10, 0.45) == "STOP 2 rung 2 (resource 9): 0.45 is worse than the cutoff 0.4 (top 1/3 of 1 trials)");
  // [-0.4, -0.45]: cutoff -0.45 + 2/3 * 0.05 = -0.41667; -0.41 is above.
  CHECK(at(s, 5, 9, 0.41) == "go 2 rung 2 (resource 9): 0.41 reaches the cutoff 0.416667 (top 1/3 of 2 trials)");
  // A diverged trial stops at its rung.
  CHECK(at(s, 6, 1, std::nan("")) == "STOP 0 rung 0 (resource 1): the value is NaN");
}

TEST_CASE("ASHA maximizes when the goal says so", "[sweep]") {
  auto asha = make_asha_stopper({2, 2}, Goal::maximize);  // rungs 2, 4, 8; cutoff = median
  CHECK_FALSE(asha->report(1, 2, 0.50).stop);
  CHECK_FALSE(asha->report(2, 2, 0.60).stop);  // [0.5]: 0.6 >= 0.5
  CHECK(asha->report(3, 2, 0.40).stop);        // [0.5, 0.6]: median 0.55
  CHECK_FALSE(asha->report(4, 3, 0.56).stop);  // [0.4, 0.5, 0.6]: median 0.5
}

TEST_CASE("W&B's hyperband bands", "[sweep]") {
  HyperbandSettings max_iter;
  max_iter.max_iter = 27;
  max_iter.s = 2;
  CHECK(hyperband_bands(max_iter) == std::vector<std::int64_t>{3, 9});
  max_iter.max_iter = 5;
  max_iter.eta = 2;
  CHECK(hyperband_bands(max_iter) == std::vector<std::int64_t>{1, 2});
  HyperbandSettings min_iter;
  min_iter.min_iter = 3;
  const auto bands = hyperband_bands(min_iter);
  REQUIRE(bands.size() >= 4);
  CHECK(std::vector<std::int64_t>(bands.begin(), bands.begin() + 4) == std::vector<std::int64_t>{3, 9, 27, 81});
}

TEST_CASE("W&B's hyperband on the runs of its own docstring", "[sweep]") {
  // max_iter 5, eta 2, s 2: bands 1 and 2. Runs a and e finished first; b, c, d run after.
  HyperbandSettings settings;
  settings.max_iter = 5;
  settings.s = 2;
  settings.eta = 2;
  auto hb = make_hyperband_stopper(settings, Goal::minimize);
  Stopper& s = *hb;
  const int a = 1, b = 2, c = 3, d = 4, e = 5;
  for (const double v : {10.0, 9.0}) s.report(a, 0, v);
  s.finished(a, TrialState::complete);
  for (const double v : {10.0, 6.0, 6.0}) s.report(e, 0, v);
  s.finished(e, TrialState::complete);
  // b's first value: band 1 holds 10, 10, 10: threshold sorted[int(3/2)] = 10; 10 is not worse.
  CHECK(at(s, b, 0, 10) == "go 0 band 1: value 10 reaches the threshold 10 of 3 trials");
  // b's second: band 2 holds 9 (a), 6 (e), 10 (b): sorted [6, 9, 10], threshold sorted[1] = 9.
  CHECK(at(s, b, 1, 10) == "STOP 1 band 2: value 10 is worse than the threshold 9 of 3 trials");
  CHECK(at(s, c, 0, 10) == "go 0 band 1: value 10 reaches the threshold 10 of 4 trials");
  // Band 2 now holds 9, 10, 6, 8: sorted [6, 8, 9, 10], threshold sorted[2] = 9.
  CHECK(at(s, c, 1, 8) == "go 1 band 2: value 8 reaches the threshold 9 of 4 trials");
  // The iteration is the count of values (3), so band 2 still applies; the resource is ignored.
  CHECK(at(s, c, 99, 8) == "go 1 band 2: value 8 reaches the threshold 9 of 4 trials");
  s.report(d, 0, 10);
  CHECK(at(s, d, 1, 7) == "go 1 band 2: value 7 reaches the threshold 8 of 5 trials");
}

TEST_CASE("W&B's hyperband without strict compares the best value so far, maximizing", "[sweep]") {
  HyperbandSettings settings;
  settings.min_iter = 1;  // bands 1, 3, 9, ...
  settings.strict = false;
  auto hb = make_hyperband_stopper(settings, Goal::maximize);
  for (const double v : {0.5, 0.6, 0.7}) hb->report(1, 0, v);
  for (const double v : {0.6, 0.6, 0.6}) hb->report(2, 0, v);  // stopped at band 3, its values count
  // Trial 3 at band 3: values 0.7, 0.6 and its own 0.1, negated and sorted [-0.7, -0.6, -0.1]:
  // threshold sorted[1] = -0.6. Strict would compare -0.1 and stop; its best so far is 0.9 (-0.9).
  hb->report(3, 0, 0.9);
  hb->report(3, 0, 0.2);
  CHECK(at(*hb, 3, 0, 0.1) == "go 1 band 3: best 0.9 reaches the threshold 0.6 of 3 trials");
  settings.strict = true;
  auto strict = make_hyperband_stopper(settings, Goal::maximize);
  for (const double v : {0.5, 0.6, 0.7}) strict->report(1, 0, v);
  for (const double v : {0.6, 0.6, 0.6}) strict->report(2, 0, v);
  strict->report(3, 0, 0.9);
  strict->report(3, 0, 0.2);
  CHECK(at(*strict, 3, 0, 0.1) == "STOP 1 band 3: value 0.1 is worse than the threshold 0.6 of 3 trials");
}

TEST_CASE("The median rule stops a trial whose best is worse than the completed trials' median", "[sweep]") {
  MedianSettings settings;
  settings.startup_trials = 2;
  auto median = make_median_stopper(settings, Goal::minimize);
  Stopper& s = *median;
  // Before two trials complete nothing is judged.
  CHECK(at(s, 1, 1, 0.5) == "go -1");
  CHECK(at(s, 9, 1, 5.0) == "go -1");
  s.report(1, 2, 0.4);
  s.finished(1, TrialState::complete);
  s.report(2, 1, 0.7);
  s.report(2, 2, 0.6);
  s.finished(2, TrialState::complete);
  // Step 1: completed values 0.5, 0.7, median 0.6.
  CHECK(at(s, 3, 1, 0.8) == "STOP -1 resource 1: best 0.8 is worse than the median 0.6 of 2 completed trials");
  CHECK(at(s, 4, 1, 0.55) == "go -1 resource 1: best 0.55 reaches the median 0.6 of 2 completed trials");
  // Step 2: median of 0.4, 0.6 is 0.5; trial 4's best so far is 0.55.
  CHECK(at(s, 4, 2, 0.65) == "STOP -1 resource 2: best 0.55 is worse than the median 0.5 of 2 completed trials");
  // No completed trial reported step 3: nothing to compare with.
  CHECK(at(s, 5, 3, 9.0) == "go -1");
  // Pruned and failed trials never count as completed.
  s.finished(3, TrialState::pruned);
  CHECK(at(s, 6, 1, 0.59) == "go -1 resource 1: best 0.59 reaches the median 0.6 of 2 completed trials");
}

TEST_CASE("The median rule judges once per interval after the warmup", "[sweep]") {
  MedianSettings settings;
  settings.startup_trials = 1;
  settings.warmup = 1;
  settings.interval = 2;
  auto median = make_median_stopper(settings, Goal::maximize);
  for (std::int64_t step = 0; step <= 6; ++step) median->report(1, step, 0.5);
  median->finished(1, TrialState::complete);
  CHECK(at(*median, 2, 0, 0.9) == "go -1");  // warmup
  // Boundaries at 1, 3, 5: judged at the first report at or past each.
  CHECK(at(*median, 2, 1, 0.9) != "go -1");
  CHECK(at(*median, 2, 2, 0.9) == "go -1");
  CHECK(at(*median, 2, 4, 0.9) != "go -1");  // first past boundary 3
  CHECK(at(*median, 2, 5, 0.9) != "go -1");
  CHECK(at(*median, 2, 6, 0.9) == "go -1");
  // Maximizing: a best of 0.4 is under the median 0.5.
  CHECK(median->report(3, 1, 0.4).stop);
}

TEST_CASE("make_stopper follows the configuration", "[sweep]") {
  SweepConfig config;
  config.metric = Metric{"loss", Goal::minimize, std::nullopt};
  config.stopper = StopperKind::none;
  auto none = make_stopper(config);
  for (int trial = 0; trial < 5; ++trial) CHECK_FALSE(none->report(trial, 1, 100.0 * trial).stop);
  config.stopper = StopperKind::asha;
  auto asha = make_stopper(config);
  asha->report(1, 1, 0.1);
  asha->report(2, 1, 0.2);
  CHECK(asha->report(3, 1, 0.9).stop);
  CHECK(linear_percentile({3, 1, 2}, 50) == 2);
  CHECK(linear_percentile({1, 2}, 25) == 1.25);
}
