#include <choline/sweep/stopper.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <vector>

namespace choline::sweep {

namespace {

class MedianStopper final : public Stopper {
 public:
  MedianStopper(const MedianSettings& settings, Goal goal) : m_settings(settings), m_goal(goal) {}

  StopDecision report(int trial_id, std::int64_t resource, double value) override {
    Trial& trial = m_trials[trial_id];
    if (trial.stopped) return {true, -1, "already stopped"};
    // Optuna's second-to-last step: the largest step reported before, other than this one.
    std::int64_t previous = -1;
    for (const auto& [step, unused] : trial.curve) {
      if (step != resource) previous = std::max(previous, step);
    }
    trial.curve[resource] = value;
    if (static_cast<int>(m_complete.size()) < m_settings.startup_trials) return {};
    if (resource < m_settings.warmup) return {};
    // Judged once per interval: at the first report at or past each interval boundary.
    const std::int64_t interval = std::max<std::int64_t>(m_settings.interval, 1);
    const std::int64_t boundary = (resource - m_settings.warmup) / interval * interval + m_settings.warmup;
    if (previous >= boundary) return {};

    // The trial's best value so far, in the goal's direction (NaN values ignored).
    const double sign = m_goal == Goal::maximize ? -1 : 1;
    double best = std::nan("");
    for (const auto& [step, v] : trial.curve) {
      if (!std::isnan(v) && (std::isnan(best) || sign * v < sign * best)) best = v;
    }
    const std::string where = "resource " + std::to_string(resource);
    if (std::isnan(best)) {
      trial.stopped = true;
      return {true, -1, where + ": every value is NaN"};
    }
    std::vector<double> others;
    for (const int id : m_complete) {
      const auto& curve = m_trials[id].curve;
      const auto it = curve.find(resource);
      if (it != curve.end() && !std::isnan(it->second)) others.push_back(it->second);
    }
    if (static_cast<int>(others.size()) < m_settings.min_trials) return {};
    const double median = linear_percentile(others, 50);
    const bool worse = sign * best > sign * median;
    const std::string text = where + ": best " + format_metric(best) + (worse ? " is worse than" : " reaches") +
                             " the median " + format_metric(median) + " of " + std::to_string(others.size()) +
                             " completed trials";
    if (worse) trial.stopped = true;
    return {worse, -1, text};
  }

  void finished(int trial_id, TrialState how) override {
    if (how == TrialState::complete) m_complete.insert(trial_id);
  }

 private:
  struct Trial {
    std::map<std::int64_t, double> curve;  // resource -> value; a repeated resource keeps the last
    bool stopped = false;
  };
  MedianSettings m_settings;
  Goal m_goal;
  std::map<int, Trial> m_trials;
  std::set<int> m_complete;
};

}  // namespace

std::unique_ptr<Stopper> make_median_stopper(const MedianSettings& settings, Goal goal) {
  return std::make_unique<MedianStopper>(settings, goal);
}

}  // namespace choline::sweep
