#pragma once
// The order of trials in status tables and reports: best first.

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

}  // namespace choline::sweep
