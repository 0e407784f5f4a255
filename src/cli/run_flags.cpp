#include <choline/cli/run_flags.hpp>

#include <choline/providers/registry.hpp>
#include <choline/report/model_card_files.hpp>
#include <choline/spec/config.hpp>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>

namespace choline::cli {

run::RunHooks run_hooks() {
  return {[](const records::RunRecord& record) { report::write_model_cards(record); }};
}

void define_run_flags(CLI::App& app, spec::RunFlags& flags) {
  app.add_option("--gpus", flags.gpus, "GPUs per host as GPU:N (same as --<N>x<GPU>, e.g. --4x3090)")
      ->group("Hardware");
  app.add_option("--nodes", flags.nodes, "Number of hosts, each with the GPUs of the spec (default 1)")
      ->group("Hardware");
  app.add_option("--provider", flags.provider,
                 "Where hosts come from: " + providers::provider_names() + " (default " +
                     std::string(spec::k_default_provider) + ")")
      ->group("Hardware");
  app.add_option("--max-price", flags.max_price, "Highest price to pay, in USD per GPU-hour")->group("Hardware");
  app.add_option("--max-cost", flags.max_cost,
                 "Stop the run (checkpoints pulled first) before it would spend more than this many USD")
      ->group("Hardware");
  app.add_option("--image", flags.image, "Container image for rented hosts (default: the provider's PyTorch image)")
      ->group("Environment");
  app.add_option("--python", flags.python, "Python interpreter for .py entries (default: $CHOLINE_PYTHON or python3)")
      ->group("Environment");
  app.add_option("--checkpoint-dir", flags.checkpoint_dir,
                 "Where workers write checkpoints, relative to the project (default checkpoints)")
      ->group("Environment");
  app.add_option(
         "--max-restarts", flags.max_restarts,
         "Gang restarts allowed after worker failures (default " + std::to_string(spec::k_default_max_restarts) + ")")
      ->group("Recovery");
  app.add_option(
         "--max-host-losses", flags.max_host_losses,
         "Lost hosts that may be replaced in one run (default " + std::to_string(spec::k_default_max_host_losses) + ")")
      ->group("Recovery");
  app.add_option("--replacement-timeout", flags.replacement_timeout,
                 "Seconds to keep trying to rent a replacement for a lost host (default " +
                     std::to_string(spec::k_default_replacement_timeout_s) + ")")
      ->group("Recovery");
  app.add_option("--host-timeout", flags.host_timeout,
                 "Seconds without a heartbeat after which a host counts as lost (default " +
                     std::to_string(spec::k_default_host_timeout_s) + ")")
      ->group("Recovery");
}

void define_view_flags(CLI::App& app, run::LiveView& view) {
  app.add_flag("--show-metrics", view.show_metrics,
               "Also show the workers' 'choline-metrics: {json}' lines (they always go to metrics.jsonl: choline "
               "metrics RUN)")
      ->group("Output");
}

std::map<std::string, std::string> forwarded_env(const std::vector<std::string>& names) {
  std::map<std::string, std::string> env;
  for (const auto& name : names) {
    if (const char* value = std::getenv(name.c_str())) {
      env[name] = value;
    } else {
      spdlog::warn("{} is listed in \"env\" but not set here; workers will not have it", name);
    }
  }
  return env;
}

Result<spec::RunOptions> resolve_for_project(const GlobalOptions& global, const spec::RunFlags& flags) {
  const std::filesystem::path config_path = global.config_path.empty()
                                                ? std::filesystem::path(global.project_dir) / spec::k_config_file_name
                                                : std::filesystem::path(global.config_path);
  if (!global.config_path.empty() && !std::filesystem::exists(config_path)) {
    return make_error(ErrorKind::usage, "config file " + config_path.string() + " does not exist");
  }
  auto config = spec::load_config_file(config_path);
  if (!config) return std::move(config).error();
  std::optional<std::string> python_env;
  if (const char* value = std::getenv("CHOLINE_PYTHON"); value && *value) python_env = value;
  auto options = spec::resolve_run_options(*config, flags, python_env, providers::provider_traits());
  if (options && !global.config_path.empty()) {
    options->config_file = std::filesystem::absolute(config_path).lexically_normal().string();
  }
  return options;
}

}  // namespace choline::cli
