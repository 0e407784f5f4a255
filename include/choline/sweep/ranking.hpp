#pragma once
// The order of trials in status tables and reports (best first), and the metric's target.

#include <choline/sweep/config.hpp>

#include <optional>
#include <vector>

namespace choline::sweep {

struct TrialScore {
  int trial_id = 0;
  std::optional<double> value;  // the metric, in its own units; none (or NaN): not ranked yet
};

// Best first by the goal, ties by id; trials without a value (or with NaN) last, by id.
std::vector<TrialScore> rank_trials(std::vector<TrialScore> trials, Goal goal);

// Whether `value` reaches the metric's target (W&B: the sweep may finish once a trial does):
// at or below it when minimizing, at or above when maximizing. False without a target or for NaN.
bool target_reached(const Metric& metric, double value);

}  // namespace choline::sweep
