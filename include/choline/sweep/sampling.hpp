#pragma once
// Drawing a parameter's value as W&B's random search does (params.py: the distribution's
// quantile function applied to one uniform draw), with choline's own generator.

#include <choline/sweep/rng.hpp>
#include <choline/sweep/space.hpp>

#include <nlohmann/json.hpp>

#include <vector>

namespace choline::sweep {

// One value of `parameter`: constants as given, categorical values as listed, int_uniform as a
// JSON integer, the q_ distributions rounded to a multiple of q (half to even, as numpy) and
// integers when q is a JSON integer, every other number a float.
nlohmann::json sample_value(const Parameter& parameter, Rng& rng);

// Rounds `x` to a multiple of the parameter's q (anchored at 0, as W&B) and types it as W&B
// does (an integer when q is a JSON integer).
nlohmann::json quantize(double x, const Parameter& parameter);

// A trial's parameters: one sample per entry, in entry order, assembled into the nested object.
nlohmann::json sample_params(const SearchSpace& space, Rng& rng);

// How many points a grid lists for the parameter (as a double: it may be huge), and the points:
// categorical values, the constant, int_uniform min..max inclusive, q_uniform
// numpy.arange(min, max, q) (max excluded; integers when min, max and q all are). Zero / empty
// for parameters a grid cannot list.
double grid_size(const Parameter& parameter);
std::vector<nlohmann::json> grid_values(const Parameter& parameter);

}  // namespace choline::sweep
