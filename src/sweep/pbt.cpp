#include <choline/sweep/pbt.hpp>

#include <choline/sweep/sampling.hpp>
#include <choline/sweep/trial.hpp>

#include <algorithm>
#include <cmath>

namespace choline::sweep {

namespace {

using json = nlohmann::json;

bool is_bounded(Distribution d) {
  return d == Distribution::int_uniform || d == Distribution::uniform || d == Distribution::q_uniform ||
         d == Distribution::log_uniform_values || d == Distribution::q_log_uniform_values ||
         d == Distribution::inv_log_uniform_values;
}

bool is_quantized(Distribution d) {
  return d == Distribution::q_uniform || d == Distribution::q_log_uniform_values || d == Distribution::q_normal ||
         d == Distribution::q_log_normal || d == Distribution::q_beta;
}

void set_at(json& params, const std::vector<std::string>& path, json value) {
  json* node = &params;
  for (std::size_t k = 0; k + 1 < path.size(); ++k) {
    json& child = (*node)[path[k]];
    if (!child.is_object()) child = json::object();
    node = &child;
  }
  (*node)[path.back()] = std::move(value);
}

}  // namespace

PopulationBasedTraining::PopulationBasedTraining(SearchSpace space, PbtSettings settings, Goal goal, std::uint64_t seed)
    : m_space(std::move(space)), m_settings(std::move(settings)), m_goal(goal), m_rng(seed) {}

json PopulationBasedTraining::perturb(const Parameter& p, const json& value) {
  if (!p.searched()) return p.value;
  const bool resample = m_rng.uniform() < m_settings.resample_probability;
  if (p.distribution == Distribution::categorical || p.distribution == Distribution::categorical_w_probabilities) {
    const auto it = std::find(p.values.begin(), p.values.end(), value);
    if (resample || it == p.values.end()) return sample_value(p, m_rng);
    const auto index = static_cast<std::int64_t>(it - p.values.begin());
    const std::int64_t shifted = std::clamp<std::int64_t>(index + (m_rng.below(2) == 0 ? -1 : 1), 0,
                                                          static_cast<std::int64_t>(p.values.size()) - 1);
    return p.values[static_cast<std::size_t>(shifted)];
  }
  if (resample || !value.is_number()) return sample_value(p, m_rng);
  const double factor = m_settings.factors.empty() ? 1.0 : m_settings.factors[m_rng.below(m_settings.factors.size())];
  double x = value.get<double>() * factor;
  if (is_bounded(p.distribution)) x = std::clamp(x, p.min, p.max);
  if (p.distribution == Distribution::beta) x = std::clamp(x, 0.0, 1.0);
  if (is_quantized(p.distribution)) return quantize(x, p);
  if ((p.distribution == Distribution::int_uniform || value.is_number_integer()) && std::abs(x) < 9.0e18) {
    return static_cast<std::int64_t>(std::trunc(x));  // Python's int(): toward zero
  }
  return x;
}

json PopulationBasedTraining::explore(const json& params) {
  json out = params.is_object() ? params : json::object();
  for (const auto& entry : m_space.entries) {
    const auto value = SearchSpace::lookup(params, entry.path);
    set_at(out, entry.path, perturb(entry.parameter, value.value_or(json())));
  }
  return out;
}

PbtRound PopulationBasedTraining::decide(const std::vector<PbtMember>& population) {
  std::vector<const PbtMember*> members;
  for (const auto& member : population) members.push_back(&member);
  std::sort(members.begin(), members.end(), [](auto* a, auto* b) { return a->trial_id < b->trial_id; });

  PbtRound round;
  for (const PbtMember* m : members) {
    if (m->resource >= m_settings.burn_in && m->resource - m->last_perturbation >= m_settings.interval) {
      round.due.push_back(m->trial_id);
    }
  }
  if (round.due.empty()) return round;

  // Best first; the stable sort over ids keeps ties in id order.
  std::vector<const PbtMember*> ranked;
  for (const PbtMember* m : members) {
    if (m->score && !std::isnan(*m->score)) ranked.push_back(m);
  }
  const double sign = m_goal == Goal::maximize ? -1 : 1;
  std::stable_sort(ranked.begin(), ranked.end(), [&](auto* a, auto* b) { return sign * *a->score < sign * *b->score; });
  const std::size_t n = ranked.size();
  if (n <= 1) return round;
  const auto q = std::min(static_cast<std::size_t>(std::ceil(static_cast<double>(n) * m_settings.quantile)), n / 2);
  if (q == 0) return round;

  for (const int id : round.due) {
    const auto position = std::find_if(ranked.begin(), ranked.end(), [&](auto* m) { return m->trial_id == id; });
    if (position == ranked.end() || position < ranked.end() - static_cast<std::ptrdiff_t>(q)) continue;
    const PbtMember* source = ranked[m_rng.below(q)];
    if (!source->has_checkpoint) continue;
    const PbtMember* self = *position;
    round.exploits.push_back({id, source->trial_id, explore(source->params),
                              "trial " + std::to_string(id) + " (" + format_metric(*self->score) +
                                  ") is in the bottom " + std::to_string(q) + " of " + std::to_string(n) +
                                  ": copies trial " + std::to_string(source->trial_id) + " (" +
                                  format_metric(*source->score) + ")"});
  }
  return round;
}

}  // namespace choline::sweep
