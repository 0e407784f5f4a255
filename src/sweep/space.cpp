#include <choline/sweep/space.hpp>

#include <choline/util/strings.hpp>

#include <algorithm>
#include <cmath>

namespace choline::sweep {

namespace {

using json = nlohmann::json;

// int_uniform bounds travel as doubles: integers beyond 2^53 would silently change.
constexpr double k_max_exact_integer = 9007199254740992.0;

struct DistributionName {
  Distribution distribution;
  const char* name;
};

constexpr DistributionName k_distribution_names[] = {
    {Distribution::constant, "constant"},
    {Distribution::categorical, "categorical"},
    {Distribution::categorical_w_probabilities, "categorical_w_probabilities"},
    {Distribution::int_uniform, "int_uniform"},
    {Distribution::uniform, "uniform"},
    {Distribution::q_uniform, "q_uniform"},
    {Distribution::log_uniform_values, "log_uniform_values"},
    {Distribution::q_log_uniform_values, "q_log_uniform_values"},
    {Distribution::inv_log_uniform_values, "inv_log_uniform_values"},
    {Distribution::normal, "normal"},
    {Distribution::q_normal, "q_normal"},
    {Distribution::log_normal, "log_normal"},
    {Distribution::q_log_normal, "q_log_normal"},
    {Distribution::beta, "beta"},
    {Distribution::q_beta, "q_beta"},
};

// W&B's v1 log distributions take base-e exponents as min/max; W&B itself reports them as
// violations now, with this advice.
std::optional<std::string> deprecated_advice(const std::string& name) {
  if (name == "log_uniform" || name == "q_log_uniform" || name == "inv_log_uniform") {
    return name + " is deprecated: its min and max are base-e exponents, not values. Use " + name +
           "_values with the values themselves (exp(min) and exp(max))";
  }
  return std::nullopt;
}

// The keys each distribution may carry besides `distribution` (W&B: additionalProperties false).
std::vector<std::string> allowed_keys(Distribution d) {
  switch (d) {
    case Distribution::constant:
      return {"value"};
    case Distribution::categorical:
      return {"values"};
    case Distribution::categorical_w_probabilities:
      return {"values", "probabilities"};
    case Distribution::int_uniform:
    case Distribution::uniform:
    case Distribution::log_uniform_values:
    case Distribution::inv_log_uniform_values:
      return {"min", "max"};
    case Distribution::q_uniform:
    case Distribution::q_log_uniform_values:
      return {"min", "max", "q"};
    case Distribution::normal:
    case Distribution::log_normal:
      return {"mu", "sigma"};
    case Distribution::q_normal:
    case Distribution::q_log_normal:
      return {"mu", "sigma", "q"};
    case Distribution::beta:
      return {"a", "b"};
    case Distribution::q_beta:
      return {"a", "b", "q"};
  }
  return {};
}

bool is_quantized(Distribution d) {
  return d == Distribution::q_uniform || d == Distribution::q_log_uniform_values || d == Distribution::q_normal ||
         d == Distribution::q_log_normal || d == Distribution::q_beta;
}

bool is_log_bounded(Distribution d) {
  return d == Distribution::log_uniform_values || d == Distribution::q_log_uniform_values ||
         d == Distribution::inv_log_uniform_values;
}

// Reads spec[key] as a finite number into `out`; absent keeps the default. Returns false (with a
// problem) for anything else.
bool read_number(const json& spec, const char* key, const std::string& where, Problems& problems, double& out,
                 bool required) {
  const auto it = spec.find(key);
  if (it == spec.end()) {
    if (required) problems.add(key_path(where, key), "missing: this distribution needs it");
    return !required;
  }
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    problems.add(key_path(where, key), "must be a number, got " + it->dump());
    return false;
  }
  out = it->get<double>();
  return true;
}

std::optional<Distribution> infer_distribution(const json& spec, const std::string& where, Problems& problems) {
  if (spec.contains("values")) {
    return spec.contains("probabilities") ? Distribution::categorical_w_probabilities : Distribution::categorical;
  }
  if (spec.contains("min") && spec.contains("max")) {
    // W&B's first matching sub-schema: two JSON integers are int_uniform, any float makes it uniform.
    if (spec["min"].is_number_integer() && spec["max"].is_number_integer()) return Distribution::int_uniform;
    return Distribution::uniform;
  }
  if (spec.contains("value")) return Distribution::constant;
  if (spec.contains("min") || spec.contains("max")) {
    problems.add(where, std::string("has ") + (spec.contains("min") ? "min" : "max") + " but no " +
                            (spec.contains("min") ? "max" : "min") + ": a range needs both");
  } else {
    problems.add(
        where,
        "cannot tell the distribution: give `values: [...]`, `value: ...`, `min` and `max`, or a `distribution`");
  }
  return std::nullopt;
}

void check_categorical(const json& spec, Parameter& p, const std::string& where, Problems& problems) {
  const auto& values = spec.find("values");
  if (values == spec.end()) {
    problems.add(key_path(where, "values"), "missing: list the values to choose from");
    return;
  }
  if (!values->is_array() || values->empty()) {
    problems.add(key_path(where, "values"), "must be a non-empty list, got " + values->dump());
    return;
  }
  p.values.assign(values->begin(), values->end());
  if (p.distribution != Distribution::categorical_w_probabilities) return;
  const auto& probabilities = spec.find("probabilities");
  if (probabilities == spec.end() || !probabilities->is_array()) {
    problems.add(key_path(where, "probabilities"), "must be a list of numbers, one per value");
    return;
  }
  double sum = 0;
  for (const auto& item : *probabilities) {
    if (!item.is_number() || !std::isfinite(item.get<double>()) || item.get<double>() < 0) {
      problems.add(key_path(where, "probabilities"), "each must be a number >= 0, got " + item.dump());
      return;
    }
    p.probabilities.push_back(item.get<double>());
    sum += item.get<double>();
  }
  if (p.probabilities.size() != p.values.size()) {
    problems.add(key_path(where, "probabilities"), std::to_string(p.probabilities.size()) + " probabilities for " +
                                                       std::to_string(p.values.size()) + " values: give one per value");
  } else if (std::abs(sum - 1.0) > 1e-8 + 1e-5) {  // numpy.isclose(sum, 1), as W&B checks
    problems.add(key_path(where, "probabilities"), "must sum to 1, they sum to " + json(sum).dump());
  }
}

void check_range(const json& spec, Parameter& p, const std::string& where, Problems& problems) {
  const bool have_min = read_number(spec, "min", where, problems, p.min, true);
  const bool have_max = read_number(spec, "max", where, problems, p.max, true);
  if (!have_min || !have_max) return;
  p.integer_bounds = spec["min"].is_number_integer() && spec["max"].is_number_integer();
  if (p.distribution == Distribution::int_uniform) {
    for (const char* key : {"min", "max"}) {
      if (!spec[key].is_number_integer()) {
        problems.add(key_path(where, key), "int_uniform needs an integer, got " + spec[key].dump());
      } else if (std::abs(spec[key].get<double>()) > k_max_exact_integer) {
        problems.add(key_path(where, key), "is too large (at most 2^53 in magnitude)");
      }
    }
  }
  if (!(p.min < p.max)) {
    problems.add(key_path(where, "min"),
                 "must be less than max (" + spec["min"].dump() + " >= " + spec["max"].dump() + ")");
  }
  if (is_log_bounded(p.distribution) && !(p.min > 0)) {
    problems.add(key_path(where, "min"), std::string(to_string(p.distribution)) +
                                             " needs min > 0 (the logarithm of the range is sampled), got " +
                                             spec["min"].dump());
  }
}

void check_shape(const json& spec, Parameter& p, const std::string& where, Problems& problems) {
  if (p.distribution == Distribution::beta || p.distribution == Distribution::q_beta) {
    for (auto [key, field] : {std::pair{"a", &p.a}, std::pair{"b", &p.b}}) {
      if (read_number(spec, key, where, problems, *field, false) && !(*field > 0)) {
        problems.add(key_path(where, key), "must be > 0");
      }
    }
    return;
  }
  read_number(spec, "mu", where, problems, p.mu, false);
  if (read_number(spec, "sigma", where, problems, p.sigma, false) && !(p.sigma > 0)) {
    problems.add(key_path(where, "sigma"), "must be > 0");
  }
}

}  // namespace

const char* to_string(Distribution distribution) {
  for (const auto& entry : k_distribution_names) {
    if (entry.distribution == distribution) return entry.name;
  }
  return "?";
}

std::optional<Distribution> distribution_from_string(const std::string& name) {
  for (const auto& entry : k_distribution_names) {
    if (name == entry.name) return entry.distribution;
  }
  return std::nullopt;
}

bool Parameter::searched() const {
  return distribution != Distribution::constant;
}

bool Parameter::griddable() const {
  return distribution == Distribution::constant || distribution == Distribution::categorical ||
         distribution == Distribution::int_uniform || distribution == Distribution::q_uniform;
}

std::string SpaceEntry::name() const {
  return util::join(path, ".");
}

json SearchSpace::assemble(const std::vector<json>& values) const {
  json params = json::object();
  for (std::size_t i = 0; i < entries.size() && i < values.size(); ++i) {
    json* node = &params;
    const auto& path = entries[i].path;
    for (std::size_t k = 0; k + 1 < path.size(); ++k) {
      json& child = (*node)[path[k]];
      if (!child.is_object()) child = json::object();
      node = &child;
    }
    (*node)[path.back()] = values[i];
  }
  return params;
}

std::optional<json> SearchSpace::lookup(const json& params, const std::vector<std::string>& path) {
  const json* node = &params;
  for (const auto& key : path) {
    if (!node->is_object()) return std::nullopt;
    const auto it = node->find(key);
    if (it == node->end()) return std::nullopt;
    node = &*it;
  }
  return *node;
}

bool valid_parameter_name(const std::string& name) {
  if (name.empty()) return false;
  const auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!letter(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9') || c == '.' || c == '-'; });
}

std::optional<Parameter> parse_parameter(const json& spec, const std::string& where, Problems& problems) {
  if (!spec.is_object()) {
    problems.add(where, "must be an object such as {values: [...]} or {min: ..., max: ...}, got " + spec.dump());
    return std::nullopt;
  }
  const std::size_t problems_before = problems.list().size();
  std::optional<Distribution> distribution;
  if (const auto it = spec.find("distribution"); it != spec.end()) {
    if (!it->is_string()) {
      problems.add(key_path(where, "distribution"), "must be a string, got " + it->dump());
      return std::nullopt;
    }
    const auto name = it->get<std::string>();
    if (auto advice = deprecated_advice(name)) {
      problems.add(key_path(where, "distribution"), *advice);
      return std::nullopt;
    }
    distribution = distribution_from_string(name);
    if (!distribution) {
      std::vector<std::string> names;
      for (const auto& entry : k_distribution_names) names.emplace_back(entry.name);
      const auto guess = util::closest_match(name, names);
      problems.add(key_path(where, "distribution"),
                   "unknown distribution '" + name + "'" + (guess ? " (did you mean " + *guess + "?)" : ""));
      return std::nullopt;
    }
    if (*distribution == Distribution::categorical && spec.contains("probabilities")) {
      problems.add(key_path(where, "probabilities"),
                   "needs distribution: categorical_w_probabilities (or leave distribution out)");
      return std::nullopt;
    }
  } else {
    distribution = infer_distribution(spec, where, problems);
    if (!distribution) return std::nullopt;
  }

  Parameter p;
  p.distribution = *distribution;
  const auto allowed = allowed_keys(p.distribution);
  for (const auto& [key, unused] : spec.items()) {
    if (key == "distribution" || std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    problems.add(key_path(where, key), std::string("is not a key of ") + to_string(p.distribution) + " (it takes " +
                                           util::join(allowed, ", ") + ")");
  }
  switch (p.distribution) {
    case Distribution::constant:
      if (!spec.contains("value"))
        problems.add(key_path(where, "value"), "missing");
      else
        p.value = spec["value"];
      break;
    case Distribution::categorical:
    case Distribution::categorical_w_probabilities:
      check_categorical(spec, p, where, problems);
      break;
    case Distribution::int_uniform:
    case Distribution::uniform:
    case Distribution::q_uniform:
    case Distribution::log_uniform_values:
    case Distribution::q_log_uniform_values:
    case Distribution::inv_log_uniform_values:
      check_range(spec, p, where, problems);
      break;
    default:
      check_shape(spec, p, where, problems);
      break;
  }
  if (is_quantized(p.distribution)) {
    p.q = 1.0;  // W&B's default q is the float 1.0: values stay floats unless q is an integer
    if (read_number(spec, "q", where, problems, p.q, false)) {
      if (!(p.q > 0)) problems.add(key_path(where, "q"), "must be > 0");
      p.q_is_integer = spec.contains("q") && spec["q"].is_number_integer();
    }
  }
  if (problems.list().size() != problems_before) return std::nullopt;
  return p;
}

SearchSpace parse_search_space(const json& parameters, const std::string& where, Problems& problems) {
  SearchSpace space;
  // Depth-first over the nesting; the explicit stack keeps a hostile depth from using the C++ stack.
  struct Pending {
    const json* object;
    std::string where;
    std::vector<std::string> path;
  };
  std::vector<Pending> stack{{&parameters, where, {}}};
  while (!stack.empty()) {
    Pending current = std::move(stack.back());
    stack.pop_back();
    if (!current.object->is_object() || current.object->empty()) {
      problems.add(current.where, "must be an object with at least one parameter, got " + current.object->dump());
      continue;
    }
    for (const auto& [name, spec] : current.object->items()) {
      const std::string here = key_path(current.where, name);
      if (!valid_parameter_name(name)) {
        problems.add(here, "is not a valid parameter name (a letter or _ first, then letters, digits, _ . -)");
        continue;
      }
      auto path = current.path;
      path.push_back(name);
      if (spec.is_object() && spec.contains("parameters")) {
        if (spec.size() != 1) {
          problems.add(here, "a nested parameter holds only `parameters`, not other keys");
          continue;
        }
        stack.push_back({&spec["parameters"], key_path(here, "parameters"), std::move(path)});
        continue;
      }
      if (auto parameter = parse_parameter(spec, here, problems)) {
        space.entries.push_back({std::move(path), std::move(*parameter)});
      }
    }
  }
  std::sort(space.entries.begin(), space.entries.end(),
            [](const SpaceEntry& x, const SpaceEntry& y) { return x.path < y.path; });
  return space;
}

}  // namespace choline::sweep
