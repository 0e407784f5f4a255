#include <choline/sweep/dimension.hpp>

#include <choline/sweep/sampling.hpp>
#include <choline/sweep/stats.hpp>

#include <algorithm>
#include <cmath>

namespace choline::sweep {

namespace {

using json = nlohmann::json;

// CDF coordinates stay this far inside (0, 1) so the mapping back stays finite.
constexpr double k_cdf_margin = 1e-12;
// Values read back from a journal went through text: allow rounding at the range's ends.
constexpr double k_range_slack = 1e-9;

bool is_log_range(Distribution d) {
  return d == Distribution::log_uniform_values || d == Distribution::inv_log_uniform_values ||
         d == Distribution::q_log_uniform_values;
}

bool is_normal_family(Distribution d) {
  return d == Distribution::normal || d == Distribution::q_normal || d == Distribution::log_normal ||
         d == Distribution::q_log_normal;
}

bool is_log_normal(Distribution d) {
  return d == Distribution::log_normal || d == Distribution::q_log_normal;
}

bool is_rounded_after(Distribution d) {
  return d == Distribution::q_log_uniform_values || d == Distribution::q_normal || d == Distribution::q_log_normal ||
         d == Distribution::q_beta;
}

bool within(double x, double low, double high) {
  const double slack = k_range_slack * std::max(1.0, std::abs(high - low));
  return x >= low - slack && x <= high + slack;
}

}  // namespace

Dimension dimension_of(const Parameter& p) {
  Dimension d;
  switch (p.distribution) {
    case Distribution::constant:
      d.constant = true;
      break;
    case Distribution::categorical:
      d.categorical = true;
      d.choices = p.values.size();
      d.prior.assign(d.choices, 1.0 / static_cast<double>(d.choices));
      break;
    case Distribution::categorical_w_probabilities:
      d.categorical = true;
      d.choices = p.values.size();
      d.prior = p.probabilities;
      break;
    case Distribution::int_uniform:
      d.step = 1;
      d.grid_low = p.min;
      d.grid_high = p.max;
      d.low = p.min - 0.5;
      d.high = p.max + 0.5;
      break;
    case Distribution::q_uniform:
      d.step = p.q;
      d.grid_low = std::nearbyint(p.min / p.q) * p.q;
      d.grid_high = std::nearbyint(p.max / p.q) * p.q;
      d.low = d.grid_low - 0.5 * p.q;
      d.high = d.grid_high + 0.5 * p.q;
      break;
    case Distribution::uniform:
      d.low = p.min;
      d.high = p.max;
      break;
    case Distribution::log_uniform_values:
    case Distribution::inv_log_uniform_values:
    case Distribution::q_log_uniform_values:
      d.low = std::log(p.min);
      d.high = std::log(p.max);
      break;
    case Distribution::normal:
    case Distribution::q_normal:
    case Distribution::log_normal:
    case Distribution::q_log_normal:
    case Distribution::beta:
    case Distribution::q_beta:
      d.low = 0;
      d.high = 1;
      break;
  }
  return d;
}

double snap(const Dimension& d, double x) {
  if (d.categorical) return std::clamp(std::nearbyint(x), 0.0, static_cast<double>(d.choices) - 1);
  if (d.step > 0) {
    const double k = std::nearbyint((x - d.grid_low) / d.step);
    const double kmax = std::nearbyint((d.grid_high - d.grid_low) / d.step);
    return d.grid_low + std::clamp(k, 0.0, kmax) * d.step;
  }
  return std::clamp(x, d.low, d.high);
}

json to_value(const Parameter& p, const Dimension& d, double x) {
  if (d.constant) return p.value;
  if (d.categorical) return p.values[static_cast<std::size_t>(snap(d, x))];
  if (p.distribution == Distribution::int_uniform) return static_cast<std::int64_t>(snap(d, x));
  if (p.distribution == Distribution::q_uniform) {
    // k*q, the way W&B's round(u / q) * q writes the value (not grid_low + j*q).
    return quantize(snap(d, x), p);
  }
  double value = std::clamp(x, d.low, d.high);
  if (is_log_range(p.distribution)) {
    value = std::exp(value);
  } else if (is_normal_family(p.distribution)) {
    const double z = normal_ppf(std::clamp(value, k_cdf_margin, 1 - k_cdf_margin));
    value = p.mu + p.sigma * z;
    if (is_log_normal(p.distribution)) value = std::exp(value);
  }
  return is_rounded_after(p.distribution) ? quantize(value, p) : json(value);
}

std::optional<double> to_coordinate(const Parameter& p, const Dimension& d, const json& value) {
  if (d.constant) return std::nullopt;
  if (d.categorical) {
    for (std::size_t i = 0; i < p.values.size(); ++i) {
      if (p.values[i] == value) return static_cast<double>(i);
    }
    return std::nullopt;
  }
  if (!value.is_number()) return std::nullopt;
  const double v = value.get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  switch (p.distribution) {
    case Distribution::int_uniform:
    case Distribution::q_uniform:
      if (!within(v, d.grid_low, d.grid_high)) return std::nullopt;
      return snap(d, v);
    case Distribution::uniform:
      if (!within(v, p.min, p.max)) return std::nullopt;
      return std::clamp(v, p.min, p.max);
    case Distribution::log_uniform_values:
    case Distribution::inv_log_uniform_values:
      if (!(v > 0) || !within(v, p.min, p.max)) return std::nullopt;
      return std::clamp(std::log(v), d.low, d.high);
    case Distribution::q_log_uniform_values:
      // Rounding to q can leave the range (min 0.1, q 1 gives 0): clamp such values back in.
      if (v < 0 || v > p.max + p.q) return std::nullopt;
      return std::clamp(std::log(std::max(v, p.min)), d.low, d.high);
    case Distribution::normal:
    case Distribution::q_normal:
      return std::clamp(normal_cdf((v - p.mu) / p.sigma), 0.0, 1.0);
    case Distribution::log_normal:
    case Distribution::q_log_normal:
      if (v < 0) return std::nullopt;
      if (v == 0) return 0.0;
      return std::clamp(normal_cdf((std::log(v) - p.mu) / p.sigma), 0.0, 1.0);
    case Distribution::beta:
    case Distribution::q_beta:
      if (!within(v, 0, 1)) return std::nullopt;
      return std::clamp(v, 0.0, 1.0);
    default:
      return std::nullopt;
  }
}

Result<std::vector<std::optional<double>>> encode_params(const SearchSpace& space,
                                                         const std::vector<Dimension>& dimensions, const json& params) {
  std::vector<std::optional<double>> coordinates;
  for (std::size_t i = 0; i < space.entries.size(); ++i) {
    const auto& entry = space.entries[i];
    if (dimensions[i].constant) {
      coordinates.push_back(std::nullopt);
      continue;
    }
    const auto value = SearchSpace::lookup(params, entry.path);
    if (!value) return make_error(ErrorKind::usage, "the trial's parameters lack '" + entry.name() + "'");
    const auto coordinate = to_coordinate(entry.parameter, dimensions[i], *value);
    if (!coordinate) {
      return make_error(ErrorKind::usage, "'" + entry.name() + "' = " + value->dump() + " is not a value of " +
                                              to_string(entry.parameter.distribution) + " in this space");
    }
    coordinates.push_back(coordinate);
  }
  return coordinates;
}

}  // namespace choline::sweep
