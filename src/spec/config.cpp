#include <choline/spec/config.hpp>

#include <choline/limits.hpp>
#include <choline/spec/gpu_spec.hpp>
#include <choline/util/files.hpp>
#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

namespace choline::spec {

namespace {

using nlohmann::json;

std::string type_name(const json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number_integer() || value.is_number_unsigned()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "an array";
  return "an object";
}

// Collects errors instead of stopping at the first, so one edit of the file can fix them all.
class Checker {
 public:
  explicit Checker(std::string source) : m_source(std::move(source)) {}

  void fail(const std::string& key, const std::string& what) {
    m_errors.push_back(m_source + ": \"" + key + "\": " + what);
  }
  void wrong_type(const std::string& key, const json& value, const std::string& expected) {
    fail(key, "expected " + expected + ", got " + type_name(value));
  }

  std::optional<std::string> string(const std::string& key, const json& value) {
    if (!value.is_string()) {
      wrong_type(key, value, "a string");
      return std::nullopt;
    }
    std::string text = value.get<std::string>();
    if (text.empty()) {
      fail(key, "must not be empty");
      return std::nullopt;
    }
    return text;
  }

  std::optional<int> integer(const std::string& key, const json& value, long long min, long long max) {
    if (!value.is_number_integer() && !value.is_number_unsigned()) {
      wrong_type(key, value, "an integer");
      return std::nullopt;
    }
    const long long number = value.get<long long>();
    if (number < min || number > max) {
      fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                    std::to_string(number));
      return std::nullopt;
    }
    return static_cast<int>(number);
  }

  std::optional<double> positive_number(const std::string& key, const json& value) {
    if (!value.is_number()) {
      wrong_type(key, value, "a number");
      return std::nullopt;
    }
    const double number = value.get<double>();
    if (!(number > 0) || !std::isfinite(number)) {
      fail(key, "must be a positive number");
      return std::nullopt;
    }
    return number;
  }

  std::vector<std::string> strings(const std::string& key, const json& value) {
    std::vector<std::string> out;
    if (!value.is_array()) {
      wrong_type(key, value, "an array of strings");
      return out;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (auto text = string(key + "[" + std::to_string(i) + "]", value[i])) out.push_back(*text);
    }
    return out;
  }

  // `shown` is the key's full path in messages ("hosts[0].gpu"); `key` the bare key matched
  // against the known ones.
  void unknown_key(const std::string& shown, const std::string& key, const std::string& where,
                   const std::vector<std::string>& known) {
    std::string message = "unknown key" + where;
    if (auto suggestion = util::closest_match(key, known)) message += " (did you mean \"" + *suggestion + "\"?)";
    message += "; known keys: " + util::join(known, ", ");
    fail(shown, message);
  }

  const std::vector<std::string>& errors() const { return m_errors; }

 private:
  std::string m_source;
  std::vector<std::string> m_errors;
};

const std::vector<std::string>& host_keys() {
  static const std::vector<std::string> keys = {"host", "port", "user", "identity", "gpus", "workdir"};
  return keys;
}

std::optional<HostEntry> parse_host(Checker& check, const std::string& prefix, const json& value) {
  if (!value.is_object()) {
    check.wrong_type(prefix, value, "an object like {\"host\": \"1.2.3.4\", \"gpus\": \"2x3090\"}");
    return std::nullopt;
  }
  HostEntry host;
  bool valid = true;
  for (const auto& [key, item] : value.items()) {
    const std::string name = prefix + "." + key;
    if (key == "host") {
      if (auto text = check.string(name, item)) host.host = *text; else valid = false;
    } else if (key == "port") {
      if (auto port = check.integer(name, item, 1, 65535)) host.port = *port; else valid = false;
    } else if (key == "user") {
      if (auto text = check.string(name, item)) host.user = *text; else valid = false;
    } else if (key == "identity") {
      if (auto text = check.string(name, item)) host.identity = *text; else valid = false;
    } else if (key == "workdir") {
      if (auto text = check.string(name, item)) host.workdir = *text; else valid = false;
    } else if (key == "gpus") {
      if (auto text = check.string(name, item)) {
        if (auto parsed = parse_spec(*text)) host.gpus = *text; else { check.fail(name, parsed.error().message); valid = false; }
      } else {
        valid = false;
      }
    } else {
      check.unknown_key(name, key, " in a host entry", host_keys());
      valid = false;
    }
  }
  if (host.host.empty() && !value.contains("host")) {
    check.fail(prefix, "missing \"host\"");
    valid = false;
  }
  return valid ? std::optional<HostEntry>(host) : std::nullopt;
}

// "data": an array of paths and entry objects (spec/data_entry.hpp).
void parse_data(Checker& check, const json& value, Config& config) {
  if (!value.is_array()) {
    check.wrong_type("data", value, "an array of paths and {\"path\"|\"url\": ...} objects");
    return;
  }
  std::vector<KeyProblem> problems;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (auto entry = parse_data_entry(value[i], i, problems)) {
      config.data_entries.push_back(std::move(*entry));
    }
  }
  for (const auto& problem : problems) check.fail(problem.key, problem.message);
}

// Turns nlohmann's byte offset into line:column, which is what editors jump to.
std::string position_of(std::string_view text, std::size_t byte) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') { ++line; column = 1; } else { ++column; }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

bool parse_number(const std::string& text, double& value) {
  if (text.empty()) return false;
  try {
    std::size_t used = 0;
    value = std::stod(text, &used);
    return used == text.size() && std::isfinite(value);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::optional<std::string> sync_spec_error(std::string_view text) {
  const std::string expected = "expected ddp, local-sgd:H or diloco:H[,lr=X,momentum=X,nesterov=0|1,compress=none|bf16|int8]";
  const auto colon = text.find(':');
  const std::string kind(text.substr(0, colon));
  if (kind == "ddp") {
    if (colon == std::string_view::npos) return std::nullopt;
    return "ddp takes no options";
  }
  if (kind != "local-sgd" && kind != "diloco") return "unknown strategy \"" + std::string(text) + "\" (" + expected + ")";
  if (colon == std::string_view::npos) return kind + " needs H (steps per round, or a time budget like 30s), as in " + kind + ":100";
  const auto parts = util::split(std::string(text.substr(colon + 1)), ',');
  std::string period = parts.empty() ? "" : parts[0];
  double number = 0;
  if (!period.empty() && period.back() == 's') {
    if (!parse_number(period.substr(0, period.size() - 1), number) || !(number > 0)) {
      return "the time budget must be a positive number of seconds, got \"" + period + "\"";
    }
  } else if (!parse_number(period, number) || number < 1 || number != std::floor(number) || number > 1e9) {
    return "H must be a whole number >= 1 or a time budget like 30s, got \"" + period + "\"";
  }
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto eq = parts[i].find('=');
    if (eq == std::string::npos) return "expected key=value, got \"" + parts[i] + "\"";
    const std::string key = parts[i].substr(0, eq), value = parts[i].substr(eq + 1);
    if ((key == "lr" || key == "momentum" || key == "nesterov") && kind != "diloco") return key + " applies to diloco only";
    if (key == "lr") {
      if (!parse_number(value, number) || !(number > 0)) return "lr must be a positive number, got \"" + value + "\"";
    } else if (key == "momentum") {
      if (!parse_number(value, number) || number < 0 || number >= 1) return "momentum must be in [0, 1), got \"" + value + "\"";
    } else if (key == "nesterov") {
      if (value != "0" && value != "1") return "nesterov must be 0 or 1";
    } else if (key == "compress") {
      if (value != "none" && value != "bf16" && value != "int8") return "compress must be none, bf16 or int8, got \"" + value + "\"";
    } else {
      return "unknown option \"" + key + "\" (known: lr, momentum, nesterov, compress)";
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> keys = {"provider", "gpus",   "nodes",          "image",     "python",
                                                "setup",    "env",    "ignore",         "checkpoint_dir",
                                                "max_price", "max_cost", "max_restarts", "max_host_losses", "host_timeout",
                                                "replacement_timeout",
                                                "hosts", "sync", "data", "data_cache_gb", "purpose", "preprocessing"};
  return keys;
}

Result<Config> parse_config(std::string_view text, const std::string& source) {
  // Copying or printing a deeply nested value recurses once per level: refuse it up front.
  if (util::json_depth(text, limits::k_max_json_depth, /*comments=*/true) > limits::k_max_json_depth) {
    return make_error(ErrorKind::usage, source + ": nested deeper than " + std::to_string(limits::k_max_json_depth) +
                                            " levels; choline.json is a flat object of settings");
  }
  json root;
  try {
    root = json::parse(text.begin(), text.end(), nullptr, true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    return make_error(ErrorKind::usage, source + ":" + position_of(text, e.byte == 0 ? 0 : e.byte - 1) +
                                            ": not valid JSON: " + e.what());
  } catch (const json::exception& e) {  // out_of_range: a number like 1e999
    return make_error(ErrorKind::usage, source + ": not valid JSON: " + e.what());
  }
  if (!root.is_object()) {
    return make_error(ErrorKind::usage, source + ": expected a JSON object at the top, got " + type_name(root));
  }

  Checker check(source);
  Config config;
  for (const auto& [key, value] : root.items()) {
    if (key == "provider") {
      config.provider = check.string(key, value);
    } else if (key == "gpus") {
      if (auto text = check.string(key, value)) {
        if (auto parsed = parse_spec(*text)) config.gpus = *text; else check.fail(key, parsed.error().message);
      }
    } else if (key == "nodes") {
      config.nodes = check.integer(key, value, 1, k_max_nodes);
    } else if (key == "image") {
      config.image = check.string(key, value);
    } else if (key == "python") {
      config.python = check.string(key, value);
    } else if (key == "setup") {
      config.setup = check.strings(key, value);
    } else if (key == "env") {
      config.env = check.strings(key, value);
      for (const auto& name : config.env) {
        if (!util::is_env_name(name)) check.fail(key, "\"" + name + "\" is not an environment variable name");
      }
    } else if (key == "ignore") {
      config.ignore = check.strings(key, value);
    } else if (key == "checkpoint_dir") {
      config.checkpoint_dir = check.string(key, value);
    } else if (key == "max_price") {
      config.max_price = check.positive_number(key, value);
    } else if (key == "max_cost") {
      config.max_cost = check.positive_number(key, value);
    } else if (key == "max_restarts") {
      config.max_restarts = check.integer(key, value, 0, 1000);
    } else if (key == "max_host_losses") {
      config.max_host_losses = check.integer(key, value, 0, 1000);
    } else if (key == "host_timeout") {
      config.host_timeout = check.integer(key, value, 2, 3600);
    } else if (key == "replacement_timeout") {
      config.replacement_timeout = check.integer(key, value, 0, 7 * 24 * 3600);
    } else if (key == "sync") {
      if (auto text = check.string(key, value)) {
        if (auto problem = sync_spec_error(*text)) check.fail(key, *problem); else config.sync = *text;
      }
    } else if (key == "data") {
      parse_data(check, value, config);
    } else if (key == "data_cache_gb") {
      config.data_cache_gb = check.positive_number(key, value);
    } else if (key == "purpose") {
      config.purpose = check.string(key, value);
    } else if (key == "preprocessing") {
      config.preprocessing = check.string(key, value);
    } else if (key == "hosts") {
      if (!value.is_array()) {
        check.wrong_type(key, value, "an array of host objects");
        continue;
      }
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (auto host = parse_host(check, "hosts[" + std::to_string(i) + "]", value[i])) config.hosts.push_back(*host);
      }
    } else {
      check.unknown_key(key, key, "", config_keys());
    }
  }
  std::vector<KeyProblem> problems;
  check_data_env_refs(config.data_entries, config.env, problems);
  for (const auto& problem : problems) check.fail(problem.key, problem.message);
  if (!check.errors().empty()) return make_error(ErrorKind::usage, util::join(check.errors(), "\n"));
  return config;
}

Result<Config> load_config_file(const std::filesystem::path& path) {
  auto text = util::read_file(path);
  if (!text) {
    if (text.error().kind == ErrorKind::not_found) return Config{};
    return std::move(text).error();
  }
  return parse_config(*text, path.string());
}

}  // namespace choline::spec
