#include <choline/sweep/stopper.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace choline::sweep {

namespace {

// W&B lists 100 bands from min_iter; past 1e18 no trial reports that often.
constexpr int k_max_bands = 100;
constexpr double k_max_band = 1e18;

class HyperbandStopper final : public Stopper {
 public:
  HyperbandStopper(const HyperbandSettings& settings, Goal goal)
      : m_settings(settings), m_goal(goal), m_bands(hyperband_bands(settings)) {}

  StopDecision report(int trial_id, std::int64_t, double value) override {
    Trial& trial = m_trials[trial_id];
    if (trial.stopped) return {true, -1, "already stopped"};
    // W&B drops values that are not numbers; its iterations are the values logged, not steps.
    if (std::isnan(value)) {
      trial.stopped = true;
      return {true, -1, "the value is NaN"};
    }
    trial.history.push_back(m_goal == Goal::maximize ? -value : value);  // smaller is better from here on
    int band_index = -1;
    for (std::size_t i = 0; i < m_bands.size(); ++i) {
      if (m_bands[i] <= static_cast<std::int64_t>(trial.history.size()))
        band_index = static_cast<int>(i);
      else
        break;
    }
    if (band_index < 0) return {};
    const auto band = static_cast<std::size_t>(m_bands[static_cast<std::size_t>(band_index)]);
    std::vector<double> at_band;
    for (const auto& [id, other] : m_trials) {
      if (other.history.size() >= band) at_band.push_back(other.history[band - 1]);
    }
    std::sort(at_band.begin(), at_band.end());
    const auto index = static_cast<std::size_t>((1.0 / m_settings.eta) * static_cast<double>(at_band.size()));
    const double threshold = at_band[std::min(index, at_band.size() - 1)];
    const double compared =
        m_settings.strict ? trial.history[band - 1] : *std::min_element(trial.history.begin(), trial.history.end());
    const double sign = m_goal == Goal::maximize ? -1 : 1;  // back to the metric's units for the text
    const std::string text = "band " + std::to_string(band) + ": " + (m_settings.strict ? "value " : "best ") +
                             format_metric(sign * compared) + (compared > threshold ? " is worse than" : " reaches") +
                             " the threshold " + format_metric(sign * threshold) + " of " +
                             std::to_string(at_band.size()) + " trials";
    if (compared > threshold) {
      trial.stopped = true;
      return {true, band_index, text};
    }
    return {false, band_index, text};
  }

 private:
  struct Trial {
    std::vector<double> history;  // every finite value logged, minimizing
    bool stopped = false;
  };
  HyperbandSettings m_settings;
  Goal m_goal;
  std::vector<std::int64_t> m_bands;
  std::map<int, Trial> m_trials;
};

}  // namespace

std::vector<std::int64_t> hyperband_bands(const HyperbandSettings& s) {
  std::vector<std::int64_t> bands;
  if (!(s.eta > 1)) return bands;
  if (s.max_iter) {
    double band = static_cast<double>(*s.max_iter);
    for (std::int64_t i = 0; i < s.s.value_or(0) && i < k_max_bands; ++i) {
      band /= s.eta;
      if (band < 1) break;
      bands.push_back(static_cast<std::int64_t>(band));
    }
    std::sort(bands.begin(), bands.end());
  } else if (s.min_iter) {
    double band = static_cast<double>(*s.min_iter);
    for (int i = 0; i < k_max_bands && band <= k_max_band; ++i) {
      bands.push_back(static_cast<std::int64_t>(band));
      band *= s.eta;
    }
  }
  return bands;
}

std::unique_ptr<Stopper> make_hyperband_stopper(const HyperbandSettings& settings, Goal goal) {
  return std::make_unique<HyperbandStopper>(settings, goal);
}

}  // namespace choline::sweep
