#pragma once
// A sweep's configuration: W&B's sweep configuration file, read unchanged (JSON or YAML), plus
// choline's own settings under one extra top-level key, `choline` (which W&B would refuse, so a
// file that uses it is choline's; a W&B file needs nothing added):
//
//   program: tr.py
//   method: bayes                      # grid | random | bayes (TPE) | pbt (choline's)
//   metric: {name: val_loss, goal: minimize}
//   parameters: {...}                  # space.hpp
//   early_terminate: {type: hyperband, min_iter: 3, eta: 3}   # W&B's rule (stopper.hpp)
//   run_cap: 32
//   command: [${env}, ${interpreter}, ${program}, ${args}]   # command.hpp
//   choline:
//     stopper: asha                    # asha | hyperband | median | none. Default: hyperband when
//                                      # early_terminate is given (W&B's rule), else none
//     resource: epoch                  # what stoppers and PBT count: step (default) | epoch
//     grace: 1                         # ASHA's first rung, in resource units (default 1)
//     eta: 3                           # ASHA's reduction factor (default 3)
//     median: {startup_trials: 5, warmup: 0, interval: 1, min_trials: 1}   # Optuna's defaults
//     tpe: {startup_trials: 10, candidates: 24}                            # Optuna's defaults
//     pbt: {interval: 4, quantile: 0.25, resample_probability: 0.25, factors: [1.2, 0.8], burn_in: 0}
//
// W&B keys choline does not act on (project, entity, controller, apiVersion, kind, job,
// image_uri, scheduler, metric.impute, metric.impute_while_running) are accepted and listed in
// `notes`. Unknown keys and impossible spaces are errors naming the key path; all of them come
// back at once in one Error.

#include <choline/error.hpp>
#include <choline/sweep/space.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::sweep {

enum class Method { grid, random, bayes, pbt };
enum class Goal { minimize, maximize };
enum class StopperKind { none, asha, hyperband, median };
enum class ResourceKind { step, epoch };

const char* to_string(Method method);
const char* to_string(Goal goal);
const char* to_string(StopperKind kind);
const char* to_string(ResourceKind kind);

struct Metric {
  std::string name;
  Goal goal = Goal::minimize;
  std::optional<double> target;  // the sweep may finish once a trial reaches it
};

// W&B's early_terminate (type: hyperband). Bands come from max_iter and s when max_iter is
// given, else from min_iter.
struct HyperbandSettings {
  std::optional<std::int64_t> min_iter;
  std::optional<std::int64_t> max_iter;
  std::optional<std::int64_t> s;
  double eta = 3;
  bool strict = true;  // the schema's default since wandb/sweeps PR #108 (the docs still say false)
};

struct AshaSettings {
  std::int64_t grace = 1;  // the first rung's resource
  double eta = 3;          // rungs at grace * eta^k; the top 1/eta go on
};

// Optuna's MedianPruner.
struct MedianSettings {
  int startup_trials = 5;     // completed trials before anything is stopped
  std::int64_t warmup = 0;    // resource before which a trial is never stopped
  std::int64_t interval = 1;  // judge once per this much resource
  int min_trials = 1;         // completed trials with a value at the resource, for a median
};

// Optuna 3.1's TPESampler defaults.
struct TpeSettings {
  int startup_trials = 10;  // random trials before TPE models anything (pruned ones count)
  int candidates = 24;      // samples from the good density scored per parameter
  double prior_weight = 1.0;
  bool magic_clip = true;
  bool endpoints = false;
  bool equal_height_kernels = true;  // parzen.hpp: Optuna 3.1's scoring of continuous kernels
};

// Ray's PopulationBasedTraining defaults, with the interval in resource units.
struct PbtSettings {
  std::int64_t interval = 0;  // required with method: pbt
  double quantile = 0.25;     // bottom fraction that copies the top fraction (0 < q <= 0.5)
  double resample_probability = 0.25;
  std::vector<double> factors{1.2, 0.8};
  std::int64_t burn_in = 0;  // no perturbation before this resource
};

struct SweepConfig {
  std::string name;
  std::string description;
  std::string program;  // may be empty: the command line names the script
  Method method = Method::random;
  std::optional<Metric> metric;
  SearchSpace space;
  std::vector<std::string> command;  // empty: command.hpp's default_command()
  std::optional<std::int64_t> run_cap;
  StopperKind stopper = StopperKind::none;
  ResourceKind resource = ResourceKind::step;
  HyperbandSettings hyperband;
  AshaSettings asha;
  MedianSettings median;
  TpeSettings tpe;
  PbtSettings pbt;
  std::vector<std::string> notes;  // accepted keys choline does not act on, and why

  Goal goal() const { return metric ? metric->goal : Goal::minimize; }
};

// Parses a sweep configuration file's text. `source_name` picks the format (a name ending in
// .json is JSON; anything else is read as YAML, which also reads most JSON) and starts every
// error message. Errors are of kind usage and list every problem found.
Result<SweepConfig> parse_sweep_config(std::string_view text, const std::string& source_name);

// The same from an already parsed document.
Result<SweepConfig> sweep_config_from_json(const nlohmann::json& document, const std::string& source_name);

// The checks that need the whole configuration, for configurations built from command-line
// flags as well as read from files: a grid over a continuous parameter (or over more than
// 1,000,000 points), no parameters, a metric missing where the method or the stopper needs one,
// PBT without an interval or with a stopper. Problems go to `problems`.
void check_sweep_config(const SweepConfig& config, Problems& problems);

// The key path of an entry in a configuration file: "parameters.optimizer.parameters.lr".
std::string parameter_key_path(const SpaceEntry& entry);

}  // namespace choline::sweep
