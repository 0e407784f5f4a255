#include <choline/sweep/sampling.hpp>

#include <cmath>

namespace choline::sweep {

namespace {
using json = nlohmann::json;
}

json quantize(double x, const Parameter& parameter) {
  // nearbyint rounds half to even in the default rounding mode, as numpy.round does.
  const double rounded = std::nearbyint(x / parameter.q) * parameter.q;
  if (parameter.q_is_integer && std::abs(rounded) < 9.0e18) return static_cast<std::int64_t>(rounded);
  return rounded;
}

json sample_value(const Parameter& p, Rng& rng) {
  switch (p.distribution) {
    case Distribution::constant:
      return p.value;
    case Distribution::categorical:
      return p.values[rng.below(p.values.size())];
    case Distribution::categorical_w_probabilities: {
      // The first value whose cumulative probability exceeds the draw (W&B: argmin(u >= cdf)).
      const double u = rng.uniform();
      double cumulative = 0;
      for (std::size_t i = 0; i < p.values.size(); ++i) {
        cumulative += p.probabilities[i];
        if (u < cumulative) return p.values[i];
      }
      return p.values.back();
    }
    case Distribution::int_uniform: {
      const auto low = static_cast<std::int64_t>(p.min);
      const auto span = static_cast<std::uint64_t>(static_cast<std::int64_t>(p.max) - low) + 1;
      return low + static_cast<std::int64_t>(rng.below(span));
    }
    case Distribution::uniform:
      return rng.uniform(p.min, p.max);
    case Distribution::q_uniform:
      return quantize(rng.uniform(p.min, p.max), p);
    case Distribution::log_uniform_values:
    case Distribution::inv_log_uniform_values:
      return std::exp(rng.uniform(std::log(p.min), std::log(p.max)));
    case Distribution::q_log_uniform_values:
      return quantize(std::exp(rng.uniform(std::log(p.min), std::log(p.max))), p);
    case Distribution::normal:
      return p.mu + p.sigma * rng.normal();
    case Distribution::q_normal:
      return quantize(p.mu + p.sigma * rng.normal(), p);
    case Distribution::log_normal:
      return std::exp(p.mu + p.sigma * rng.normal());
    case Distribution::q_log_normal:
      return quantize(std::exp(p.mu + p.sigma * rng.normal()), p);
    case Distribution::beta:
      return rng.beta(p.a, p.b);
    case Distribution::q_beta:
      return quantize(rng.beta(p.a, p.b), p);
  }
  return nullptr;
}

json sample_params(const SearchSpace& space, Rng& rng) {
  std::vector<json> values;
  values.reserve(space.entries.size());
  for (const auto& entry : space.entries) values.push_back(sample_value(entry.parameter, rng));
  return space.assemble(values);
}

}  // namespace choline::sweep

namespace choline::sweep {

double grid_size(const Parameter& p) {
  switch (p.distribution) {
    case Distribution::constant:
      return 1;
    case Distribution::categorical:
      return static_cast<double>(p.values.size());
    case Distribution::int_uniform:
      return p.max - p.min + 1;
    case Distribution::q_uniform:
      return std::ceil((p.max - p.min) / p.q);
    default:
      return 0;
  }
}

std::vector<json> grid_values(const Parameter& p) {
  switch (p.distribution) {
    case Distribution::constant:
      return {p.value};
    case Distribution::categorical:
      return p.values;
    case Distribution::int_uniform: {
      std::vector<json> values;
      for (auto v = static_cast<std::int64_t>(p.min); v <= static_cast<std::int64_t>(p.max); ++v) values.push_back(v);
      return values;
    }
    case Distribution::q_uniform: {
      // numpy.arange: start + i * step for i < ceil((stop - start) / step).
      const auto n = static_cast<std::int64_t>(grid_size(p));
      const bool integers = p.integer_bounds && p.q_is_integer;
      std::vector<json> values;
      for (std::int64_t i = 0; i < n; ++i) {
        const double v = p.min + static_cast<double>(i) * p.q;
        if (integers)
          values.push_back(static_cast<std::int64_t>(v));
        else
          values.push_back(v);
      }
      return values;
    }
    default:
      return {};
  }
}

}  // namespace choline::sweep
