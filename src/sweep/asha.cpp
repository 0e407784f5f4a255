#include <choline/sweep/stopper.hpp>

#include <cmath>
#include <map>
#include <vector>

namespace choline::sweep {

namespace {

// grace * eta^64 is beyond any step count; the bound keeps the rung walk finite.
constexpr int k_max_rungs = 64;

double milestone(const AshaSettings& s, int k) {
  return static_cast<double>(s.grace) * std::pow(s.eta, k);
}

class AshaStopper final : public Stopper {
 public:
  AshaStopper(const AshaSettings& settings, Goal goal) : m_settings(settings), m_goal(goal) {}

  StopDecision report(int trial_id, std::int64_t resource, double value) override {
    Trial& trial = m_trials[trial_id];
    if (trial.stopped) return {true, -1, "already stopped"};
    // The highest rung this report reaches that the trial has not been judged at.
    int rung = -1;
    for (int k = trial.next_rung; k < k_max_rungs && milestone(m_settings, k) <= static_cast<double>(resource); ++k) {
      rung = k;
    }
    if (rung < 0) return {};
    trial.next_rung = rung + 1;
    const std::string where =
        "rung " + std::to_string(rung) + " (resource " + format_metric(milestone(m_settings, rung)) + ")";
    if (std::isnan(value)) {
      trial.stopped = true;
      return {true, rung, where + ": the value is NaN"};
    }
    // Rewards are larger-is-better, as in Ray: the metric itself when maximizing, negated otherwise.
    const double sign = m_goal == Goal::maximize ? 1 : -1;
    const double reward = sign * value;
    std::vector<double>& recorded = m_rungs[rung];
    if (recorded.empty()) {
      recorded.push_back(reward);
      return {false, rung, where + ": the first trial here goes on"};
    }
    const double cutoff = linear_percentile(recorded, 100.0 * (1.0 - 1.0 / m_settings.eta));
    const std::size_t others = recorded.size();
    recorded.push_back(reward);
    const std::string versus = format_metric(value) + (reward < cutoff ? " is worse than" : " reaches") +
                               " the cutoff " + format_metric(sign * cutoff) + " (top 1/" +
                               format_metric(m_settings.eta) + " of " + std::to_string(others) + " trials)";
    if (reward < cutoff) {
      trial.stopped = true;
      return {true, rung, where + ": " + versus};
    }
    return {false, rung, where + ": " + versus};
  }

 private:
  struct Trial {
    int next_rung = 0;
    bool stopped = false;
  };
  AshaSettings m_settings;
  Goal m_goal;
  std::map<int, Trial> m_trials;
  std::map<int, std::vector<double>> m_rungs;  // rung -> rewards recorded there, in arrival order
};

}  // namespace

std::vector<double> asha_rungs(const AshaSettings& settings, std::int64_t up_to) {
  std::vector<double> rungs;
  for (int k = 0; k < k_max_rungs && milestone(settings, k) <= static_cast<double>(up_to); ++k) {
    rungs.push_back(milestone(settings, k));
  }
  return rungs;
}

std::unique_ptr<Stopper> make_asha_stopper(const AshaSettings& settings, Goal goal) {
  return std::make_unique<AshaStopper>(settings, goal);
}

}  // namespace choline::sweep
