#include <choline/spec/run_options.hpp>

#include <choline/util/strings.hpp>

#include <algorithm>
#include <filesystem>

namespace choline::spec {

const std::vector<std::string>& known_providers() {
  static const std::vector<std::string> providers = {"local", "ssh", "vast", "runpod", "lambda"};
  return providers;
}

Result<RunOptions> resolve_run_options(const Config& config, const RunFlags& flags,
                                       const std::optional<std::string>& python_from_env) {
  RunOptions options;
  options.provider = flags.provider.value_or(config.provider.value_or(std::string(k_default_provider)));
  const auto& providers = known_providers();
  if (std::find(providers.begin(), providers.end(), options.provider) == providers.end()) {
    std::string message = "unknown provider '" + options.provider + "'";
    if (auto suggestion = util::closest_match(options.provider, providers)) message += " (did you mean " + *suggestion + "?)";
    return make_error(ErrorKind::usage, message + "; known providers: " + util::join(providers, ", "));
  }

  std::optional<std::string> gpus = flags.gpus ? flags.gpus : config.gpus;
  if (!gpus) {
    // The local machine's CPU slots are the one resource that needs no choice of hardware.
    if (options.provider != "local") {
      return make_error(ErrorKind::usage, "say which GPUs to rent for provider '" + options.provider +
                                              "', e.g. --4x3090 (or set \"gpus\" in choline.json)\n" + accepted_forms());
    }
    gpus = "cpu:1";
  }
  auto spec = parse_spec(*gpus);
  if (!spec) return std::move(spec).error();
  options.spec = *spec;
  options.spec.nodes = flags.nodes.value_or(config.nodes.value_or(1));
  if (auto valid = validate_nodes(options.spec.nodes); !valid) return valid.error();

  options.image = flags.image.value_or(config.image.value_or(""));
  options.python = flags.python.value_or(python_from_env.value_or(config.python.value_or(std::string(k_default_python))));
  options.checkpoint_dir = flags.checkpoint_dir.value_or(config.checkpoint_dir.value_or(std::string(k_default_checkpoint_dir)));
  // Checkpoints land inside the run's directory on every host and come back into the run record;
  // a path that leaves it would make a host write (and us pull) outside the run.
  const std::filesystem::path ckpt(options.checkpoint_dir);
  const bool escapes = std::any_of(ckpt.begin(), ckpt.end(), [](const auto& part) { return part == ".."; });
  if (ckpt.is_absolute() || escapes) {
    return make_error(ErrorKind::usage, "checkpoint_dir '" + options.checkpoint_dir +
                                            "' must be a relative path inside the project, without '..'");
  }
  options.max_price = flags.max_price ? flags.max_price : config.max_price;
  options.max_restarts = flags.max_restarts.value_or(config.max_restarts.value_or(k_default_max_restarts));
  if (options.max_restarts < 0) return make_error(ErrorKind::usage, "--max-restarts must be 0 or more");
  if (options.max_price && *options.max_price <= 0) return make_error(ErrorKind::usage, "--max-price must be positive");
  options.setup = config.setup;
  options.env = config.env;
  options.ignore = config.ignore;
  options.hosts = config.hosts;
  return options;
}

}  // namespace choline::spec
