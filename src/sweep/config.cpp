#include <choline/sweep/config.hpp>

#include <choline/sweep/config_extension.hpp>
#include <choline/sweep/config_fields.hpp>
#include <choline/sweep/sampling.hpp>
#include <choline/sweep/yaml_json.hpp>
#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace choline::sweep {

namespace {

using json = nlohmann::json;

// Configs are small hand-written files; deeper nesting is a mistake or an attack on the parser.
constexpr std::size_t k_max_json_depth = 64;
// A grid larger than this is a typo (a q of 1e-6), not a sweep anyone will pay for.
constexpr double k_max_grid_points = 1e6;

// W&B keys choline accepts without acting on them, and why they do not matter here.
struct IgnoredKey {
  const char* key;
  const char* why;
};
constexpr IgnoredKey k_ignored_keys[] = {
    {"project", "W&B's project; choline keeps its own records"},
    {"entity", "W&B's entity; choline keeps its own records"},
    {"controller", "choline runs the sweep itself"},
    {"apiVersion", "not used"},
    {"job", "W&B Launch's; choline runs `program`"},
    {"image_uri", "W&B Launch's; choline runs `program`"},
    {"scheduler", "W&B's custom schedulers are not run"},
};

void parse_metric(const json& metric, SweepConfig& config, Problems& problems) {
  Fields fields(metric, "metric", problems);
  if (!fields.object()) return;
  fields.allow({"name", "goal", "target", "impute", "impute_while_running"});
  Metric m;
  if (!fields.string("name", m.name, true) || m.name.empty()) {
    if (metric.contains("name")) problems.add("metric.name", "must not be empty");
  }
  std::string goal = "minimize";
  if (fields.choice("goal", goal, {"minimize", "maximize"}))
    m.goal = goal == "maximize" ? Goal::maximize : Goal::minimize;
  double target = 0;
  if (metric.contains("target") && fields.number("target", target)) m.target = target;
  std::string impute;
  if (fields.choice("impute", impute, {"latest", "best", "worst"}) && metric.contains("impute")) {
    config.notes.push_back("metric.impute: ignored: failed trials are left out of the search, as Optuna does");
  }
  if (fields.choice("impute_while_running", impute, {"latest", "best", "worst", "false"}) &&
      metric.contains("impute_while_running")) {
    config.notes.push_back("metric.impute_while_running: ignored: running trials are not imputed");
  }
  config.metric = m;
}

void parse_early_terminate(const json& node, SweepConfig& config, Problems& problems) {
  Fields fields(node, "early_terminate", problems);
  if (!fields.object()) return;
  fields.allow({"type", "min_iter", "max_iter", "s", "eta", "strict"});
  std::string type;
  fields.choice("type", type, {"hyperband"}, true);
  HyperbandSettings& h = config.hyperband;
  std::int64_t value = 0;
  if (node.contains("min_iter") && fields.integer("min_iter", value, 1)) h.min_iter = value;
  if (node.contains("max_iter") && fields.integer("max_iter", value, 1)) h.max_iter = value;
  if (node.contains("s") && fields.integer("s", value, 1)) h.s = value;
  if (fields.number("eta", h.eta) && !(h.eta > 1)) problems.add("early_terminate.eta", "must be > 1");
  fields.boolean("strict", h.strict);
  if (!node.contains("min_iter") && !node.contains("max_iter")) {
    problems.add("early_terminate", "needs min_iter (first band), or max_iter and s");
  } else if (node.contains("max_iter") && !node.contains("s")) {
    problems.add("early_terminate.s", "missing: max_iter needs s, the number of bands below it");
  } else if (h.max_iter && h.s && h.eta > 1 && static_cast<double>(*h.max_iter) / h.eta < 1) {
    problems.add("early_terminate.max_iter", "gives no band: max_iter / eta is below 1");
  }
  config.stopper = StopperKind::hyperband;
}

void parse_top_level(const json& doc, SweepConfig& config, Problems& problems) {
  Fields fields(doc, "", problems);
  std::vector<std::string> known = {"method",          "program", "parameters", "metric",
                                    "early_terminate", "run_cap", "command",    "name",
                                    "description",     "choline", "kind",       "metrics"};
  for (const auto& ignored : k_ignored_keys) known.emplace_back(ignored.key);
  fields.allow(known);

  std::string method;
  if (fields.choice("method", method, {"grid", "random", "bayes", "pbt", "custom"}, true)) {
    if (method == "custom") {
      problems.add("method",
                   "custom needs a W&B scheduler, which choline does not run; use grid, random, bayes (TPE) "
                   "or pbt");
    }
    config.method = method == "grid"    ? Method::grid
                    : method == "bayes" ? Method::bayes
                    : method == "pbt"   ? Method::pbt
                                        : Method::random;
  }
  fields.string("program", config.program);
  fields.string("name", config.name);
  fields.string("description", config.description);
  std::string kind;
  fields.choice("kind", kind, {"sweep"});
  std::int64_t run_cap = 0;
  if (doc.contains("run_cap") && fields.integer("run_cap", run_cap, 1)) config.run_cap = run_cap;
  if (const auto it = doc.find("command"); it != doc.end()) {
    if (!it->is_array() || it->empty()) {
      problems.add("command", "must be a non-empty list of strings, got " + it->dump());
    } else {
      for (std::size_t i = 0; i < it->size(); ++i) {
        if ((*it)[i].is_string())
          config.command.push_back((*it)[i].get<std::string>());
        else
          problems.add("command[" + std::to_string(i) + "]", "must be a string, got " + (*it)[i].dump());
      }
    }
  }
  if (doc.contains("metrics")) {
    problems.add("metrics", "several metrics need method: custom, which choline does not run; use `metric`");
  }
  if (doc.contains("metric")) parse_metric(doc["metric"], config, problems);
  if (doc.contains("parameters")) config.space = parse_search_space(doc["parameters"], "parameters", problems);
  if (doc.contains("early_terminate")) parse_early_terminate(doc["early_terminate"], config, problems);
  for (const auto& ignored : k_ignored_keys) {
    if (doc.contains(ignored.key)) config.notes.push_back(std::string(ignored.key) + ": ignored: " + ignored.why);
  }
  if (doc.contains("choline")) {
    const bool had_early_terminate = doc.contains("early_terminate");
    parse_choline_extension(doc["choline"], had_early_terminate, config, problems);
  }
}

}  // namespace

const char* to_string(Method method) {
  switch (method) {
    case Method::grid:
      return "grid";
    case Method::random:
      return "random";
    case Method::bayes:
      return "bayes";
    case Method::pbt:
      return "pbt";
  }
  return "?";
}

const char* to_string(Goal goal) {
  return goal == Goal::maximize ? "maximize" : "minimize";
}

const char* to_string(StopperKind kind) {
  switch (kind) {
    case StopperKind::none:
      return "none";
    case StopperKind::asha:
      return "asha";
    case StopperKind::hyperband:
      return "hyperband";
    case StopperKind::median:
      return "median";
  }
  return "?";
}

const char* to_string(ResourceKind kind) {
  return kind == ResourceKind::epoch ? "epoch" : "step";
}

std::string parameter_key_path(const SpaceEntry& entry) {
  return "parameters." + util::join(entry.path, ".parameters.");
}

void check_sweep_config(const SweepConfig& config, Problems& problems) {
  // An empty space after problems under parameters is their fault, not a missing section.
  const bool parameters_had_problems = std::any_of(problems.list().begin(), problems.list().end(),
                                                   [](const Problem& p) { return p.path.rfind("parameters", 0) == 0; });
  if (config.space.empty() && !parameters_had_problems) {
    problems.add("parameters", "missing: name at least one parameter to sweep");
  }
  if (config.method == Method::grid) {
    double points = 1;
    for (const auto& entry : config.space.entries) {
      if (!entry.parameter.griddable()) {
        problems.add(parameter_key_path(entry),
                     std::string("a grid needs listed values (categorical, constant, int_uniform or q_uniform), not ") +
                         to_string(entry.parameter.distribution) + ": give `values`, or use method random or bayes");
        continue;
      }
      points *= grid_size(entry.parameter);
    }
    if (points > k_max_grid_points) {
      char text[96];
      std::snprintf(text, sizeof text, "the grid has %.0f points, more than %.0f: ", points, k_max_grid_points);
      problems.add("parameters", std::string(text) + "list fewer values or use bayes");
    }
  }
  const bool needs_metric =
      config.method == Method::bayes || config.method == Method::pbt || config.stopper != StopperKind::none;
  if (needs_metric && (!config.metric || config.metric->name.empty())) {
    const std::string who =
        config.stopper != StopperKind::none && config.method != Method::bayes && config.method != Method::pbt
            ? std::string("stopper ") + to_string(config.stopper)
            : std::string("method ") + to_string(config.method);
    problems.add("metric", "missing: " + who + " needs `metric: {name: ..., goal: minimize|maximize}`");
  }
  if (config.method == Method::pbt) {
    if (config.pbt.interval <= 0) {
      problems.add("choline.pbt.interval",
                   "missing: method pbt needs the resource between perturbations (e.g. 4 "
                   "epochs with resource: epoch)");
    }
    if (config.stopper != StopperKind::none) {
      problems.add(config.stopper == StopperKind::hyperband ? "early_terminate" : "choline.stopper",
                   "pbt replaces poor trials instead of stopping them: remove the stopper");
    }
  }
}

Result<SweepConfig> sweep_config_from_json(const json& document, const std::string& source_name) {
  Problems problems;
  SweepConfig config;
  if (!document.is_object()) {
    problems.add("(top level)", "a sweep configuration is a mapping of keys (method, parameters, ...), got " +
                                    std::string(document.type_name()));
    return problems.to_error(source_name);
  }
  parse_top_level(document, config, problems);
  check_sweep_config(config, problems);
  if (!problems.empty()) return problems.to_error(source_name);
  return config;
}

Result<SweepConfig> parse_sweep_config(std::string_view text, const std::string& source_name) {
  const bool is_json = util::ends_with(util::to_lower(source_name), ".json");
  Result<json> document = is_json ? util::parse_json(text, k_max_json_depth) : yaml_to_json(text);
  if (!document) return make_error(ErrorKind::usage, source_name + ": " + document.error().message);
  return sweep_config_from_json(*document, source_name);
}

}  // namespace choline::sweep
