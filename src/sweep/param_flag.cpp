#include <choline/sweep/param_flag.hpp>

#include <choline/util/strings.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace choline::sweep {

namespace {

using json = nlohmann::json;

struct Kind {
  const char* name;
  const char* distribution;
  std::vector<const char*> args;  // the spec's keys, in the order the flag gives them
};

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> table = {
      {"uniform", "uniform", {"min", "max"}},
      {"loguniform", "log_uniform_values", {"min", "max"}},
      {"log_uniform_values", "log_uniform_values", {"min", "max"}},
      {"inv_log_uniform_values", "inv_log_uniform_values", {"min", "max"}},
      {"int", "int_uniform", {"min", "max"}},
      {"int_uniform", "int_uniform", {"min", "max"}},
      {"q_uniform", "q_uniform", {"min", "max", "q"}},
      {"q_loguniform", "q_log_uniform_values", {"min", "max", "q"}},
      {"q_log_uniform_values", "q_log_uniform_values", {"min", "max", "q"}},
      {"normal", "normal", {"mu", "sigma"}},
      {"q_normal", "q_normal", {"mu", "sigma", "q"}},
      {"lognormal", "log_normal", {"mu", "sigma"}},
      {"log_normal", "log_normal", {"mu", "sigma"}},
      {"q_log_normal", "q_log_normal", {"mu", "sigma", "q"}},
      {"beta", "beta", {"a", "b"}},
      {"q_beta", "q_beta", {"a", "b", "q"}},
      {"choice", "categorical", {}},
      {"categorical", "categorical", {}},
      {"value", "constant", {}},
  };
  return table;
}

std::optional<double> parse_double(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value)) return std::nullopt;
  return value;
}

// A number argument: JSON integer when written as one (int:1:8 must stay integers).
std::optional<json> parse_number(const std::string& text) {
  const json value = parse_cli_scalar(text);
  if (value.is_number()) return value;
  return std::nullopt;
}

std::string usage_of(const Kind& kind) {
  std::string usage = std::string(kind.name);
  if (std::string(kind.distribution) == "categorical") return usage + ":V1,V2,...";
  if (std::string(kind.distribution) == "constant") return usage + ":TEXT";
  for (const char* arg : kind.args) usage += std::string(":") + util::to_upper(arg);
  return usage;
}

// The spec's JSON as a file would write it; nullopt (with a problem) when malformed.
std::optional<json> spec_of(const std::string& spec, const std::string& where, Problems& problems) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos) return json{{"value", parse_cli_scalar(spec)}};
  const std::string kind_name = spec.substr(0, colon);
  const std::string rest = spec.substr(colon + 1);
  const auto& table = kinds();
  const auto kind = std::find_if(table.begin(), table.end(), [&](const Kind& k) { return kind_name == k.name; });
  if (kind == table.end()) {
    std::vector<std::string> names;
    for (const auto& k : table) names.emplace_back(k.name);
    if (const auto guess = util::closest_match(kind_name, names)) {
      problems.add(where, "unknown distribution '" + kind_name + "' (did you mean " + *guess +
                              "?); write value:" + spec + " for a constant string");
      return std::nullopt;
    }
    return json{{"value", parse_cli_scalar(spec)}};  // "a:b" that names no distribution is a constant
  }
  const std::string distribution = kind->distribution;
  if (distribution == "constant") return json{{"value", rest}};
  if (distribution == "categorical") {
    json values = json::array();
    for (const auto& item : util::split(rest, ',')) {
      if (item.empty()) {
        problems.add(where, "an empty value in the list: write " + usage_of(*kind));
        return std::nullopt;
      }
      values.push_back(parse_cli_scalar(item));
    }
    return json{{"values", values}};
  }
  const auto args = util::split(rest, ':');
  if (args.size() != kind->args.size()) {
    problems.add(where, "expected " + usage_of(*kind) + ", got " + std::to_string(args.size()) + " argument" +
                            (args.size() == 1 ? "" : "s"));
    return std::nullopt;
  }
  json out{{"distribution", distribution}};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto number = parse_number(args[i]);
    if (!number) {
      problems.add(where, std::string(kind->args[i]) + " must be a number, got '" + args[i] + "'");
      return std::nullopt;
    }
    out[kind->args[i]] = *number;
  }
  return out;
}

}  // namespace

json parse_cli_scalar(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  const bool integer = !text.empty() &&
                       text.find_first_not_of("0123456789", text[0] == '-' || text[0] == '+') == std::string::npos &&
                       text.size() > (text[0] == '-' || text[0] == '+');
  if (integer) {
    errno = 0;
    char* end = nullptr;
    const long long value = std::strtoll(text.c_str(), &end, 10);
    if (errno != ERANGE) return static_cast<std::int64_t>(value);
  }
  if (const auto value = parse_double(text)) return *value;
  return text;
}

std::optional<SpaceEntry> parse_param_flag(const std::string& flag, Problems& problems) {
  const std::string where = "-p " + flag;
  const auto equals = flag.find('=');
  if (equals == std::string::npos) {
    problems.add(where, "expected NAME=SPEC, such as lr=loguniform:1e-5:1e-1 or width=choice:64,128");
    return std::nullopt;
  }
  const std::string name = flag.substr(0, equals);
  if (!valid_parameter_name(name)) {
    problems.add(where,
                 "'" + name + "' is not a valid parameter name (a letter or _ first, then letters, digits, _ . -)");
    return std::nullopt;
  }
  const auto spec = spec_of(flag.substr(equals + 1), where, problems);
  if (!spec) return std::nullopt;
  // The file's checks, with their key paths turned into words after the flag.
  Problems inner;
  auto parameter = parse_parameter(*spec, "", inner);
  for (const auto& problem : inner.list()) {
    problems.add(where, problem.path.empty() ? problem.message : problem.path + ": " + problem.message);
  }
  if (!parameter) return std::nullopt;
  return SpaceEntry{{name}, std::move(*parameter)};
}

Result<SearchSpace> parse_param_flags(const std::vector<std::string>& flags) {
  Problems problems;
  SearchSpace space;
  for (const auto& flag : flags) {
    auto entry = parse_param_flag(flag, problems);
    if (!entry) continue;
    const bool duplicate = std::any_of(space.entries.begin(), space.entries.end(),
                                       [&](const SpaceEntry& e) { return e.path == entry->path; });
    if (duplicate) {
      problems.add("-p " + flag, "parameter '" + entry->name() + "' is given twice");
      continue;
    }
    space.entries.push_back(std::move(*entry));
  }
  if (!problems.empty()) return problems.to_error("parameters");
  std::sort(space.entries.begin(), space.entries.end(),
            [](const SpaceEntry& x, const SpaceEntry& y) { return x.path < y.path; });
  return space;
}

}  // namespace choline::sweep
