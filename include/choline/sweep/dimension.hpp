#pragma once
// A parameter as the model-based searcher (TPE) sees it: a categorical index, or a coordinate
// in a working space where distances mean something, with bounds and an optional grid step.
//
//   uniform, beta                      the value itself, on [min, max] ([0, 1] for beta)
//   log_uniform_values, inv_log_...    ln(value) on [ln min, ln max] (Optuna's log=True)
//   int_uniform                        the value, step 1, bounds [min - 1/2, max + 1/2] (Optuna's int)
//   q_uniform                          the value on W&B's points k*q for k in [round(min/q),
//                                      round(max/q)], step q, bounds widened by q/2
//   q_log_uniform_values               ln(value), continuous; the value is rounded to q afterwards
//   normal, log_normal (and q_)        the CDF of the prior, Phi((x - mu) / sigma) (of ln x for log):
//                                      unbounded laws become [0, 1], and the Parzen prior's uniform
//                                      there is the distribution itself
//
// q_ distributions other than q_uniform are rounded after the mapping back, as W&B rounds them.

#include <choline/error.hpp>
#include <choline/sweep/space.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <vector>

namespace choline::sweep {

struct Dimension {
  bool categorical = false;
  bool constant = false;  // not searched
  // Categorical: the number of choices and the prior's weight on each (uniform, or the
  // probabilities of categorical_w_probabilities).
  std::size_t choices = 0;
  std::vector<double> prior;
  // Numeric: the Parzen estimator's bounds in the working space, and the grid.
  double low = 0;
  double high = 1;
  double step = 0;      // 0: continuous
  double grid_low = 0;  // the first and last grid point when step > 0
  double grid_high = 0;
};

Dimension dimension_of(const Parameter& parameter);

// A working-space coordinate (or categorical index) snapped to the grid and clipped to it.
double snap(const Dimension& dimension, double x);

// The value a coordinate stands for (the inverse mapping, then W&B's rounding and typing).
nlohmann::json to_value(const Parameter& parameter, const Dimension& dimension, double x);

// The coordinate of a value, or nullopt when the parameter cannot have it (not one of the
// categorical values, not a number, outside the range).
std::optional<double> to_coordinate(const Parameter& parameter, const Dimension& dimension,
                                    const nlohmann::json& value);

// The coordinates of a trial's parameters, one per entry (nullopt for constants). Errors (usage)
// name the first parameter that is missing or impossible.
Result<std::vector<std::optional<double>>> encode_params(const SearchSpace& space,
                                                         const std::vector<Dimension>& dimensions,
                                                         const nlohmann::json& params);

}  // namespace choline::sweep
