#include <choline/sweep/ranking.hpp>

#include <algorithm>
#include <cmath>

namespace choline::sweep {

std::vector<TrialScore> rank_trials(std::vector<TrialScore> trials, Goal goal) {
  const double sign = goal == Goal::maximize ? -1 : 1;
  const auto ranked = [](const TrialScore& t) { return t.value && !std::isnan(*t.value); };
  std::sort(trials.begin(), trials.end(), [&](const TrialScore& a, const TrialScore& b) {
    if (ranked(a) != ranked(b)) return ranked(a);
    if (ranked(a) && *a.value != *b.value) return sign * *a.value < sign * *b.value;
    return a.trial_id < b.trial_id;
  });
  return trials;
}

bool target_reached(const Metric& metric, double value) {
  if (!metric.target || std::isnan(value)) return false;
  return metric.goal == Goal::maximize ? value >= *metric.target : value <= *metric.target;
}

}  // namespace choline::sweep
