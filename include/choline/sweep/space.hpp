#pragma once
// The search space of a sweep: parameters exactly as W&B's sweep configuration defines them
// (wandb/sweeps schema.json and params.py), so the files users already have mean the same here.
//
//   parameters:
//     lr:        {distribution: log_uniform_values, min: 1.0e-5, max: 0.1}
//     width:     {values: [64, 128, 256]}          # categorical (inferred)
//     layers:    {min: 1, max: 8}                   # int_uniform (inferred: both integers)
//     seed:      {value: 42}                        # constant
//     optimizer: {parameters: {beta: {min: 0.8, max: 0.99}}}   # nested, any depth
//
// Nested parameters are flattened into entries with a path ({"optimizer", "beta"}); a trial's
// parameters are one JSON object nested the same way ({"optimizer": {"beta": 0.9}, ...}).

#include <choline/sweep/problems.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace choline::sweep {

enum class Distribution {
  constant,                     // value
  categorical,                  // values: uniform over the list
  categorical_w_probabilities,  // values + probabilities
  int_uniform,                  // integer in [min, max], both inclusive
  uniform,                      // U(min, max)
  q_uniform,                    // round(U(min, max) / q) * q (anchored at 0, not min)
  log_uniform_values,           // exp(U(ln min, ln max))
  q_log_uniform_values,         // the same rounded to q
  inv_log_uniform_values,       // exp(-U(-ln max, -ln min)): the same law as log_uniform_values
  normal,                       // N(mu, sigma)
  q_normal,
  log_normal,  // exp(N(mu, sigma))
  q_log_normal,
  beta,  // Beta(a, b)
  q_beta,
};

// The name W&B uses ("log_uniform_values"), and the reverse; nullopt for names W&B does not
// define or that choline refuses (the deprecated exponent forms).
const char* to_string(Distribution distribution);
std::optional<Distribution> distribution_from_string(const std::string& name);

struct Parameter {
  Distribution distribution = Distribution::constant;
  nlohmann::json value;                // constant
  std::vector<nlohmann::json> values;  // categorical, categorical_w_probabilities
  std::vector<double> probabilities;   // categorical_w_probabilities, same length as values
  double min = 0;                      // the bounded distributions (int_uniform: integers)
  double max = 0;
  bool integer_bounds = false;  // min and max were JSON integers
  double q = 1;                 // the q_ distributions
  bool q_is_integer = false;    // q was a JSON integer: values come out as integers (W&B)
  double mu = 0;                // normal family
  double sigma = 1;
  double a = 1;  // beta family
  double b = 1;

  // Whether the value ranges over more than one point (constants are not searched).
  bool searched() const;
  // Whether it has finitely many values a grid can list (W&B: categorical, constant,
  // int_uniform, q_uniform).
  bool griddable() const;
};

struct SpaceEntry {
  std::vector<std::string> path;  // {"optimizer", "beta"}; one element for a top-level parameter
  Parameter parameter;

  // The dotted name for messages and tables: "optimizer.beta".
  std::string name() const;
};

struct SearchSpace {
  // Sorted by path (W&B sorts parameter names too), so every consumer sees the same order.
  std::vector<SpaceEntry> entries;

  bool empty() const { return entries.empty(); }
  // A trial's parameter object from one value per entry, in entry order (nested by path).
  nlohmann::json assemble(const std::vector<nlohmann::json>& values) const;
  // The value at `path` in a trial's parameter object, or nullopt when absent.
  static std::optional<nlohmann::json> lookup(const nlohmann::json& params, const std::vector<std::string>& path);
};

// Parses one parameter spec (the object under its name), inferring the distribution when
// absent as W&B does: values -> categorical (with probabilities -> categorical_w_probabilities);
// min and max both JSON integers -> int_uniform; min/max with a float -> uniform; value ->
// constant. Everything wrong is added to `problems` under `where` ("parameters.lr"); returns
// nullopt when the spec is unusable. Nested specs ({parameters: {...}}) are not parameters:
// parse_search_space handles them.
std::optional<Parameter> parse_parameter(const nlohmann::json& spec, const std::string& where, Problems& problems);

// Parses a `parameters` object (names must match W&B's ^[A-Za-z_][A-Za-z0-9_.-]*$, at least
// one entry), recursing into nested ones. Problems go to `problems` under `where`.
SearchSpace parse_search_space(const nlohmann::json& parameters, const std::string& where, Problems& problems);

// Whether `name` is a valid parameter name.
bool valid_parameter_name(const std::string& name);

}  // namespace choline::sweep
