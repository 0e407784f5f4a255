#pragma once
// Resolves what a run will use from three layers, highest first: command-line flags, the
// environment (CHOLINE_PYTHON), choline.json, built-in defaults. Pure.

#include <choline/spec/config.hpp>
#include <choline/spec/gpu_spec.hpp>

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

namespace choline::spec {

inline constexpr std::string_view k_default_provider = "local";
inline constexpr std::string_view k_default_python = "python3";
inline constexpr std::string_view k_default_checkpoint_dir = "checkpoints";
inline constexpr int k_default_max_restarts = 3;
inline constexpr int k_default_max_host_losses = 5;
inline constexpr int k_default_host_timeout_s = 10;
inline constexpr int k_default_replacement_timeout_s = 30 * 60;

// What the train/resume flags set; unset flags leave the lower layers in charge.
struct RunFlags {
  std::optional<std::string> gpus;  // long form, after argv rewriting: "RTX3090:4"
  std::optional<int> nodes;
  std::optional<std::string> provider;
  std::optional<std::string> image;
  std::optional<std::string> python;
  std::optional<std::string> checkpoint_dir;
  std::optional<double> max_price;
  std::optional<double> max_cost;
  std::optional<int> max_restarts;
  std::optional<int> max_host_losses;
  std::optional<int> host_timeout;
  std::optional<int> replacement_timeout;
};

struct RunOptions {
  GpuSpec spec;
  std::string provider;
  std::string image;  // empty: the provider's default image
  std::string python;
  std::string checkpoint_dir;
  std::optional<double> max_price;
  std::optional<double> max_cost;  // USD: the run stops (checkpoints pulled) before it would spend more
  int max_restarts = k_default_max_restarts;
  int max_host_losses = k_default_max_host_losses;  // hosts that may be lost and replaced in one run
  int host_timeout_s = k_default_host_timeout_s;    // silence after which a host counts as lost
  int replacement_timeout_s = k_default_replacement_timeout_s;  // how long to wait for a replacement
  std::string sync;  // the runtime's sync strategy for workers (CHOLINE_SYNC); "" leaves it to them
  std::vector<std::string> setup;
  std::vector<std::string> env;
  std::vector<std::string> ignore;
  std::vector<HostEntry> hosts;
  std::vector<DataEntry> data;          // datasets every host gets (resolve_data_entries at staging)
  std::optional<double> data_cache_gb;  // each host's data cache limit; unset: the host's default
  // The choline.json the options came from (absolute; "" for <project>/choline.json): model
  // cards record its contents as they were when the project was pushed.
  std::string config_file;
};

// What spec/ needs to know of a provider (the table itself lives in providers/registry).
struct ProviderTraits {
  std::string name;
  bool needs_gpu_spec = true;  // false: a run without a GPU spec gets one CPU slot
};

// `python_from_env` is the value of CHOLINE_PYTHON, if set; `providers` the known providers.
// Fails (usage) when the layers combine into something invalid, e.g. no GPU spec for a
// provider that rents GPUs.
Result<RunOptions> resolve_run_options(const Config& config, const RunFlags& flags,
                                       const std::optional<std::string>& python_from_env,
                                       const std::vector<ProviderTraits>& providers);

// RunOptions as run.json stores them. Keys missing from older records take the k_default_*
// values above; wrong types are errors.
nlohmann::json to_json(const RunOptions& options);
Result<RunOptions> run_options_from_json(const nlohmann::json& j);

}  // namespace choline::spec
