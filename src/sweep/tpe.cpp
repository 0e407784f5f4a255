#include <choline/sweep/tpe.hpp>

#include <choline/sweep/stats.hpp>

#include <choline/sweep/dimension.hpp>
#include <choline/sweep/parzen.hpp>
#include <choline/sweep/sampling.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <utility>

namespace choline::sweep {

namespace {

using json = nlohmann::json;

constexpr std::size_t k_max_gamma = 25;

// Optuna's sort key of a finished trial, smaller is better: (-inf, value) for complete trials,
// (-resource, value) for pruned ones, (1, 0) for pruned ones that never reported.
std::pair<double, double> sort_key(const TrialOutcome& outcome, double sign) {
  if (outcome.state == TrialState::complete) return {-k_inf, sign * outcome.value.value_or(k_inf)};
  if (!outcome.value) return {1, 0};
  const double value = std::isnan(*outcome.value) ? k_inf : sign * *outcome.value;
  return {-static_cast<double>(outcome.resource.value_or(0)), value};
}

bool finished(const TrialOutcome& outcome) {
  if (outcome.state == TrialState::complete) return outcome.value && !std::isnan(*outcome.value);
  return outcome.state == TrialState::pruned;
}

class TpeSearcher final : public Searcher {
 public:
  TpeSearcher(const SearchSpace& space, Goal goal, const TpeSettings& settings, std::uint64_t seed)
      : m_space(space), m_goal(goal), m_settings(settings), m_rng(seed), m_startup_rng(m_rng.split()) {
    for (const auto& entry : m_space.entries) m_dimensions.push_back(dimension_of(entry.parameter));
    m_options.prior_weight = settings.prior_weight;
    m_options.magic_clip = settings.magic_clip;
    m_options.endpoints = settings.endpoints;
    m_options.equal_height_kernels = settings.equal_height_kernels;
  }

  std::optional<json> ask(int trial_id) override {
    std::vector<const Trial*> done;
    for (const auto& [id, trial] : m_trials) {
      if (trial.outcome && finished(*trial.outcome)) done.push_back(&trial);
    }
    json params;
    if (done.size() < static_cast<std::size_t>(std::max(m_settings.startup_trials, 0))) {
      params = sample_params(m_space, m_startup_rng);
    } else {
      params = suggest(done);
    }
    // Coordinates of what was returned, so asked and adopted trials are modelled alike.
    auto coordinates = encode_params(m_space, m_dimensions, params);
    m_trials[trial_id] = Trial{coordinates ? std::move(*coordinates) : std::vector<std::optional<double>>{}, {}};
    return params;
  }

  void tell(int trial_id, const TrialOutcome& outcome) override {
    const auto it = m_trials.find(trial_id);
    if (it != m_trials.end()) it->second.outcome = outcome;
  }

  Status adopt(int trial_id, const json& params) override {
    auto coordinates = encode_params(m_space, m_dimensions, params);
    if (!coordinates) return coordinates.error();
    m_trials[trial_id] = Trial{std::move(*coordinates), {}};
    return {};
  }

 private:
  struct Trial {
    std::vector<std::optional<double>> coordinates;  // per entry; nullopt for constants
    std::optional<TrialOutcome> outcome;
  };

  json suggest(const std::vector<const Trial*>& done) {
    std::vector<TrialOutcome> outcomes;
    for (const Trial* trial : done) outcomes.push_back(*trial->outcome);
    const auto order = tpe_order(outcomes, m_goal);
    const std::size_t n_below = std::min(tpe_gamma(done.size()), done.size());
    std::vector<bool> is_below(done.size(), false);
    for (std::size_t i = 0; i < n_below; ++i) is_below[order[i]] = true;

    std::vector<json> values;
    for (std::size_t e = 0; e < m_space.entries.size(); ++e) {
      const Parameter& parameter = m_space.entries[e].parameter;
      const Dimension& dimension = m_dimensions[e];
      if (dimension.constant) {
        values.push_back(parameter.value);
        continue;
      }
      // Each set in trial order; trials without this parameter (adopted from another space) skipped.
      std::vector<double> below;
      std::vector<double> above;
      for (std::size_t i = 0; i < done.size(); ++i) {
        const auto& coordinates = done[i]->coordinates;
        if (e >= coordinates.size() || !coordinates[e]) continue;
        (is_below[i] ? below : above).push_back(*coordinates[e]);
      }
      values.push_back(to_value(parameter, dimension, choose(dimension, below, above)));
    }
    return m_space.assemble(values);
  }

  // The candidate from l(x) with the largest log l(x) - log g(x) (the first on ties).
  double choose(const Dimension& dimension, const std::vector<double>& below, const std::vector<double>& above) {
    const int n = std::max(m_settings.candidates, 1);
    double best = 0;
    double best_score = -k_inf;
    bool have_best = false;
    if (dimension.categorical) {
      const auto to_ints = [](const std::vector<double>& xs) {
        std::vector<int> out;
        for (const double x : xs) out.push_back(static_cast<int>(x));
        return out;
      };
      const CategoricalParzen l(to_ints(below), dimension.prior, m_options);
      const CategoricalParzen g(to_ints(above), dimension.prior, m_options);
      for (int i = 0; i < n; ++i) {
        const int x = l.sample(m_rng);
        const double score = l.log_pdf(x) - g.log_pdf(x);
        if (!have_best || score > best_score) best = x, best_score = score, have_best = true;
      }
      return best;
    }
    const NumericParzen l(below, dimension.low, dimension.high, dimension.step, m_options);
    const NumericParzen g(above, dimension.low, dimension.high, dimension.step, m_options);
    for (int i = 0; i < n; ++i) {
      const double x = dimension.step > 0 ? snap(dimension, l.sample(m_rng)) : l.sample(m_rng);
      double score = l.log_pdf(x) - g.log_pdf(x);
      if (std::isnan(score)) score = -k_inf;
      if (!have_best || score > best_score) best = x, best_score = score, have_best = true;
    }
    return best;
  }

  SearchSpace m_space;
  std::vector<Dimension> m_dimensions;
  Goal m_goal;
  TpeSettings m_settings;
  ParzenOptions m_options;
  Rng m_rng;                      // TPE's own draws
  Rng m_startup_rng;              // the random startup trials', a separate stream as in Optuna
  std::map<int, Trial> m_trials;  // by id: trial order
};

}  // namespace

std::size_t tpe_gamma(std::size_t n) {
  return std::min((n + 9) / 10, k_max_gamma);
}

std::vector<std::size_t> tpe_order(const std::vector<TrialOutcome>& outcomes, Goal goal) {
  const double sign = goal == Goal::maximize ? -1 : 1;
  std::vector<std::pair<double, double>> keys;
  for (const auto& outcome : outcomes) keys.push_back(sort_key(outcome, sign));
  std::vector<std::size_t> order(outcomes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  return order;
}

std::unique_ptr<Searcher> make_tpe_searcher(const SearchSpace& space, Goal goal, const TpeSettings& settings,
                                            std::uint64_t seed) {
  return std::make_unique<TpeSearcher>(space, goal, settings, seed);
}

}  // namespace choline::sweep
