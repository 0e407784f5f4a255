// W&B sweep configuration files, read as W&B reads them; every problem reported at once.
#include <choline/sweep/config.hpp>
#include <choline/sweep/yaml_json.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace choline;
using namespace choline::sweep;
using json = nlohmann::json;

namespace {

// The shape of W&B's documented example, unchanged.
const char* k_wandb_yaml = R"(program: train.py
method: bayes
name: sweep
description: lr and batch size
project: my-project
entity: my-team
metric:
  goal: minimize
  name: validation_loss
parameters:
  batch_size:
    values: [16, 32, 64]
  epochs:
    value: 10
  lr:
    max: 0.1
    min: 0.0001
  optimizer:
    distribution: categorical
    values: ["adam", "sgd"]
  weight_decay:
    distribution: log_uniform_values
    min: 1e-6
    max: 1e-2
early_terminate:
  type: hyperband
  min_iter: 3
run_cap: 20
command:
  - ${env}
  - ${interpreter}
  - ${program}
  - ${args}
)";

std::string problems_of(const Result<SweepConfig>& result) {
  return result ? "" : result.error().message;
}

}  // namespace

TEST_CASE("A W&B sweep file in YAML reads unchanged", "[sweep]") {
  auto config = parse_sweep_config(k_wandb_yaml, "sweep.yaml");
  REQUIRE(config);
  CHECK(config->program == "train.py");
  CHECK(config->method == Method::bayes);
  CHECK(config->name == "sweep");
  REQUIRE(config->metric);
  CHECK(config->metric->name == "validation_loss");
  CHECK(config->metric->goal == Goal::minimize);
  REQUIRE(config->space.entries.size() == 5);
  CHECK(config->space.entries[0].name() == "batch_size");
  CHECK(config->space.entries[0].parameter.distribution == Distribution::categorical);
  CHECK(config->space.entries[1].parameter.distribution == Distribution::constant);
  CHECK(config->space.entries[2].parameter.distribution == Distribution::uniform);  // 0.0001 is a float
  CHECK(config->space.entries[4].parameter.distribution == Distribution::log_uniform_values);
  CHECK(config->space.entries[4].parameter.min == 1e-6);  // 1e-6 without a dot is a number here
  CHECK(config->stopper == StopperKind::hyperband);
  CHECK(config->hyperband.min_iter == 3);
  CHECK(config->hyperband.eta == 3);
  CHECK(config->hyperband.strict);
  CHECK(config->run_cap == 20);
  CHECK(config->command == std::vector<std::string>{"${env}", "${interpreter}", "${program}", "${args}"});
  REQUIRE(config->notes.size() == 2);
  CHECK(config->notes[0].rfind("project: ignored", 0) == 0);
  CHECK(config->notes[1].rfind("entity: ignored", 0) == 0);
}

TEST_CASE("The same file in JSON gives the same configuration", "[sweep]") {
  const auto yaml = yaml_to_json(k_wandb_yaml);
  REQUIRE(yaml);
  auto from_json = parse_sweep_config(yaml->dump(), "sweep.json");
  auto from_yaml = parse_sweep_config(k_wandb_yaml, "sweep.yml");
  REQUIRE(from_json);
  REQUIRE(from_yaml);
  CHECK(from_json->space.entries.size() == from_yaml->space.entries.size());
  CHECK(from_json->space.entries[4].parameter.max == from_yaml->space.entries[4].parameter.max);
  CHECK(from_json->metric->name == from_yaml->metric->name);
}

TEST_CASE("Every problem in a file is reported at once, by key path", "[sweep]") {
  const char* text = R"(method: bayes
metric: {name: acc, goal: maximise}
parameters:
  lr: {distribution: log_uniform_values, min: 0, max: 0.1}
  width: {values: []}
  p: {values: [a, b], probabilities: [0.5, 0.4]}
  layers: {min: 8, max: 1}
early_terminate: {type: hyperband, min_iter: 3, etaa: 2}
colour: blue
)";
  const auto message = problems_of(parse_sweep_config(text, "sweep.yaml"));
  CHECK(message.rfind("sweep.yaml: 7 problems:", 0) == 0);
  for (const char* path :
       {"\n  metric.goal: must be one of minimize, maximize, got 'maximise'",
        "\n  parameters.lr.min: log_uniform_values needs min > 0",
        "\n  parameters.width.values: must be a non-empty list", "\n  parameters.p.probabilities: must sum to 1",
        "\n  parameters.layers.min: must be less than max (8 >= 1)",
        "\n  early_terminate.etaa: unknown key (did you mean eta?)", "\n  colour: unknown key"}) {
    CHECK(message.find(path) != std::string::npos);
  }
}

TEST_CASE("A grid over a continuous parameter names the parameter", "[sweep]") {
  const json doc = {{"method", "grid"},
                    {"parameters",
                     {{"lr", {{"distribution", "log_uniform_values"}, {"min", 1e-5}, {"max", 0.1}}},
                      {"opt", {{"parameters", {{"m", {{"min", 0.5}, {"max", 0.9}}}}}}},
                      {"width", {{"values", {64, 128}}}},
                      {"p", {{"values", {1, 2}}, {"probabilities", {0.5, 0.5}}}}}}};
  const auto message = problems_of(sweep_config_from_json(doc, "sweep.json"));
  CHECK(message.find("parameters.lr: a grid needs listed values") != std::string::npos);
  CHECK(message.find("parameters.opt.parameters.m: a grid needs listed values") != std::string::npos);
  CHECK(message.find("parameters.p: a grid needs listed values") != std::string::npos);
  CHECK(message.find("parameters.width") == std::string::npos);
}

TEST_CASE("A grid too large to run is refused", "[sweep]") {
  const json doc = {{"method", "grid"},
                    {"parameters", {{"x", {{"distribution", "q_uniform"}, {"min", 0}, {"max", 1}, {"q", 1e-7}}}}}};
  const auto message = problems_of(sweep_config_from_json(doc, "s.json"));
  CHECK(message.find("parameters: the grid has") != std::string::npos);
}

TEST_CASE("Methods and stoppers that need a metric say so", "[sweep]") {
  CHECK(problems_of(sweep_config_from_json({{"method", "bayes"}, {"parameters", {{"x", {{"values", {1}}}}}}}, "s")) ==
        "s: metric: missing: method bayes needs `metric: {name: ..., goal: minimize|maximize}`");
  const json random_with_stopper = {{"method", "random"},
                                    {"parameters", {{"x", {{"values", {1}}}}}},
                                    {"early_terminate", {{"type", "hyperband"}, {"min_iter", 1}}}};
  CHECK(problems_of(sweep_config_from_json(random_with_stopper, "s")) ==
        "s: metric: missing: stopper hyperband needs `metric: {name: ..., goal: minimize|maximize}`");
  CHECK(sweep_config_from_json({{"method", "random"}, {"parameters", {{"x", {{"values", {1}}}}}}}, "s"));
  CHECK(problems_of(sweep_config_from_json({{"method", "random"}}, "s")) ==
        "s: parameters: missing: name at least one parameter to sweep");
  CHECK(problems_of(sweep_config_from_json({{"parameters", {{"x", {{"values", {1}}}}}}}, "s")) == "s: method: missing");
}

TEST_CASE("custom, metrics and early_terminate without bands are refused", "[sweep]") {
  const json doc = {{"method", "custom"},
                    {"metrics", json::array()},
                    {"metric", {{"name", "loss"}}},
                    {"parameters", {{"x", {{"values", {1}}}}}},
                    {"early_terminate", {{"type", "hyperband"}, {"max_iter", 2}, {"s", 1}}}};
  const auto message = problems_of(sweep_config_from_json(doc, "s"));
  CHECK(message.find("method: custom needs a W&B scheduler") != std::string::npos);
  CHECK(message.find("metrics: several metrics need method: custom") != std::string::npos);
  CHECK(message.find("early_terminate.max_iter: gives no band") != std::string::npos);
  CHECK(problems_of(sweep_config_from_json({{"method", "random"},
                                            {"metric", {{"name", "l"}}},
                                            {"parameters", {{"x", {{"values", {1}}}}}},
                                            {"early_terminate", {{"type", "hyperband"}, {"max_iter", 27}}}},
                                           "s")) ==
        "s: early_terminate.s: missing: max_iter needs s, the number of bands below it");
}

TEST_CASE("choline's extension chooses the stopper and its settings", "[sweep]") {
  const char* text = R"(method: random
metric: {name: loss}
parameters: {x: {min: 0.0, max: 1.0}}
early_terminate: {type: hyperband, min_iter: 2}
choline:
  stopper: asha
  resource: epoch
  grace: 2
  eta: 4
  tpe: {startup_trials: 5, candidates: 48}
)";
  auto config = parse_sweep_config(text, "s.yaml");
  REQUIRE(config);
  CHECK(config->stopper == StopperKind::asha);
  CHECK(config->resource == ResourceKind::epoch);
  CHECK(config->asha.grace == 2);
  CHECK(config->asha.eta == 4);
  CHECK(config->tpe.startup_trials == 5);
  CHECK(config->tpe.candidates == 48);
  REQUIRE(config->notes.size() == 1);
  CHECK(config->notes[0] == "early_terminate: not used: choline.stopper chooses asha");

  auto hyperband = parse_sweep_config(
      "{method: random, metric: {name: l}, parameters: {x: {values: [1]}},"
      " choline: {stopper: hyperband, grace: 2, eta: 2}}",
      "s.yaml");
  REQUIRE(hyperband);
  CHECK(hyperband->stopper == StopperKind::hyperband);
  CHECK(hyperband->hyperband.min_iter == 2);
  CHECK(hyperband->hyperband.eta == 2);

  CHECK(problems_of(parse_sweep_config("{method: random, parameters: {x: {values: [1]}}, choline: {stoper: asha}}",
                                       "s.yaml")) ==
        "s.yaml: choline.stoper: unknown key (did you mean stopper?); known: stopper, resource, grace, eta, median, "
        "tpe, pbt");
}

TEST_CASE("method pbt needs an interval and no stopper", "[sweep]") {
  const char* ok =
      "{method: pbt, metric: {name: acc, goal: maximize}, parameters: {lr: {min: 0.001, max: 0.1}},"
      " choline: {resource: epoch, pbt: {interval: 4, quantile: 0.5, factors: [1.5, 0.5]}}}";
  auto config = parse_sweep_config(ok, "s.yaml");
  REQUIRE(config);
  CHECK(config->method == Method::pbt);
  CHECK(config->pbt.interval == 4);
  CHECK(config->pbt.quantile == 0.5);
  CHECK(config->pbt.factors == std::vector<double>{1.5, 0.5});
  const auto message = problems_of(
      parse_sweep_config("{method: pbt, metric: {name: acc}, parameters: {lr: {min: 0.001, max: 0.1}},"
                         " early_terminate: {type: hyperband, min_iter: 1}, choline: {pbt: {quantile: 0.7}}}",
                         "s.yaml"));
  CHECK(message.find("choline.pbt.quantile: must be in (0, 0.5]") != std::string::npos);
  CHECK(message.find("choline.pbt.interval: missing") != std::string::npos);
  CHECK(message.find("early_terminate: pbt replaces poor trials") != std::string::npos);
}

TEST_CASE("Syntax errors say where", "[sweep]") {
  CHECK(problems_of(parse_sweep_config("method: [grid", "s.yaml")).rfind("s.yaml: not valid YAML: line 1", 0) == 0);
  CHECK(problems_of(parse_sweep_config("{\"method\": }", "s.json")).rfind("s.json: ", 0) == 0);
  CHECK(problems_of(parse_sweep_config("- 1\n- 2\n", "s.yaml")) ==
        "s.yaml: (top level): a sweep configuration is a mapping of keys (method, parameters, ...), got array");
  CHECK(problems_of(parse_sweep_config("method: grid\nmethod: random\n", "s.yaml")) ==
        "s.yaml: method: the key appears twice");
}

TEST_CASE("YAML scalars are typed as PyYAML types them", "[sweep]") {
  CHECK(resolve_plain_scalar("1") == json(1));
  CHECK(resolve_plain_scalar("-3") == json(-3));
  CHECK(resolve_plain_scalar("1_000") == json(1000));
  CHECK(resolve_plain_scalar("0x1F") == json(31));
  CHECK(resolve_plain_scalar("010") == json(8));
  CHECK(resolve_plain_scalar("0.5").get<double>() == 0.5);
  CHECK(resolve_plain_scalar("1e-5").get<double>() == 1e-5);
  CHECK(resolve_plain_scalar("1.0e+3").get<double>() == 1000.0);
  CHECK(resolve_plain_scalar("1.0").is_number_float());
  CHECK(std::isinf(resolve_plain_scalar("-.inf").get<double>()));
  CHECK(resolve_plain_scalar("yes") == json(true));
  CHECK(resolve_plain_scalar("Off") == json(false));
  CHECK(resolve_plain_scalar("~").is_null());
  CHECK(resolve_plain_scalar("relu") == json("relu"));
  CHECK(resolve_plain_scalar("1e") == json("1e"));
  const auto quoted = yaml_to_json("a: '1'\nb: \"true\"\nc: !!str 3\nd:\n");
  REQUIRE(quoted);
  CHECK(*quoted == json{{"a", "1"}, {"b", "true"}, {"c", "3"}, {"d", nullptr}});
}

TEST_CASE("YAML that would blow up is refused", "[sweep]") {
  CHECK_FALSE(yaml_to_json(std::string(100, '[') + std::string(100, ']')));
  // A billion laughs: each level repeats the one above ten times.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string previous = "a";
  for (char level = 'b'; level <= 'i'; ++level) {
    bomb += std::string(1, level) + ": &" + level + " [";
    for (int i = 0; i < 10; ++i) bomb += (i ? ", *" : "*") + previous;
    bomb += "]\n";
    previous = std::string(1, level);
  }
  const auto result = yaml_to_json(bomb);
  REQUIRE_FALSE(result);
  CHECK(result.error().message.find("more than 100000 nodes") != std::string::npos);
}
