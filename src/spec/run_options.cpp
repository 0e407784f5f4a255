#include <choline/spec/run_options.hpp>

#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace choline::spec {

Result<RunOptions> resolve_run_options(const Config& config, const RunFlags& flags,
                                       const std::optional<std::string>& python_from_env,
                                       const std::vector<ProviderTraits>& providers) {
  RunOptions options;
  options.provider = flags.provider.value_or(config.provider.value_or(std::string(k_default_provider)));
  const auto traits = std::find_if(providers.begin(), providers.end(),
                                   [&](const ProviderTraits& p) { return p.name == options.provider; });
  if (traits == providers.end()) {
    std::vector<std::string> names;
    for (const auto& p : providers) names.push_back(p.name);
    std::string message = "unknown provider '" + options.provider + "'";
    if (auto suggestion = util::closest_match(options.provider, names)) message += " (did you mean " + *suggestion + "?)";
    return make_error(ErrorKind::usage, message + "; known providers: " + util::join(names, ", "));
  }

  std::optional<std::string> gpus = flags.gpus ? flags.gpus : config.gpus;
  if (!gpus) {
    // The local machine's CPU slots are the one resource that needs no choice of hardware.
    if (traits->needs_gpu_spec) {
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
  options.max_cost = flags.max_cost ? flags.max_cost : config.max_cost;
  if (options.max_cost && *options.max_cost <= 0) return make_error(ErrorKind::usage, "--max-cost must be positive");
  options.max_restarts = flags.max_restarts.value_or(config.max_restarts.value_or(k_default_max_restarts));
  if (options.max_restarts < 0) return make_error(ErrorKind::usage, "--max-restarts must be 0 or more");
  options.max_host_losses = flags.max_host_losses.value_or(config.max_host_losses.value_or(k_default_max_host_losses));
  if (options.max_host_losses < 0) return make_error(ErrorKind::usage, "--max-host-losses must be 0 or more");
  options.host_timeout_s = flags.host_timeout.value_or(config.host_timeout.value_or(k_default_host_timeout_s));
  if (options.host_timeout_s < 2) return make_error(ErrorKind::usage, "--host-timeout must be at least 2 seconds");
  options.replacement_timeout_s =
      flags.replacement_timeout.value_or(config.replacement_timeout.value_or(k_default_replacement_timeout_s));
  if (options.replacement_timeout_s < 0) return make_error(ErrorKind::usage, "--replacement-timeout must be 0 or more");
  if (options.max_price && *options.max_price <= 0) return make_error(ErrorKind::usage, "--max-price must be positive");
  options.sync = config.sync.value_or("");
  options.setup = config.setup;
  options.env = config.env;
  options.ignore = config.ignore;
  options.hosts = config.hosts;
  options.data = config.data_entries;
  options.data_cache_gb = config.data_cache_gb;
  return options;
}

nlohmann::json to_json(const RunOptions& o) {
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& h : o.hosts) {
    hosts.push_back({{"host", h.host}, {"port", h.port}, {"user", h.user}, {"identity", h.identity},
                     {"gpus", h.gpus}, {"workdir", h.workdir}});
  }
  nlohmann::json j = {{"provider", o.provider},
                      {"gpu", o.spec.gpu},
                      {"gpus_per_host", o.spec.count},
                      {"nodes", o.spec.nodes},
                      {"image", o.image},
                      {"python", o.python},
                      {"checkpoint_dir", o.checkpoint_dir},
                      {"max_restarts", o.max_restarts},
                      {"max_host_losses", o.max_host_losses},
                      {"host_timeout_s", o.host_timeout_s},
                      {"replacement_timeout_s", o.replacement_timeout_s},
                      {"sync", o.sync},
                      {"setup", o.setup},
                      {"env", o.env},
                      {"ignore", o.ignore},
                      {"hosts", hosts}};
  if (!o.config_file.empty()) j["config_file"] = o.config_file;
  if (o.max_price) j["max_price"] = *o.max_price;
  if (o.max_cost) j["max_cost"] = *o.max_cost;
  if (!o.data.empty()) {
    j["data"] = nlohmann::json::array();
    for (const auto& entry : o.data) j["data"].push_back(data_entry_to_json(entry));
  }
  if (o.data_cache_gb) j["data_cache_gb"] = *o.data_cache_gb;
  return j;
}

Result<RunOptions> run_options_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return make_error(ErrorKind::protocol, "run options are not an object");
  util::JsonReader in(j, "options");
  RunOptions o;
  const HostEntry host_defaults;
  o.provider = in.string("provider", std::string(k_default_provider));
  o.spec.gpu = in.string("gpu", "cpu");
  o.spec.count = in.integer("gpus_per_host", 1);
  o.spec.nodes = in.integer("nodes", 1);
  o.image = in.string("image");
  o.python = in.string("python", std::string(k_default_python));
  o.checkpoint_dir = in.string("checkpoint_dir", std::string(k_default_checkpoint_dir));
  o.max_restarts = in.integer("max_restarts", k_default_max_restarts);
  o.max_host_losses = in.integer("max_host_losses", k_default_max_host_losses);
  o.host_timeout_s = in.integer("host_timeout_s", k_default_host_timeout_s);
  o.replacement_timeout_s = in.integer("replacement_timeout_s", k_default_replacement_timeout_s);
  o.sync = in.string("sync");
  o.setup = in.strings("setup");
  o.env = in.strings("env");
  o.ignore = in.strings("ignore");
  o.config_file = in.string("config_file");
  if (j.contains("max_price") && !j["max_price"].is_null()) o.max_price = in.number("max_price", 0);
  if (j.contains("max_cost") && !j["max_cost"].is_null()) o.max_cost = in.number("max_cost", 0);
  if (j.contains("data_cache_gb") && !j["data_cache_gb"].is_null()) o.data_cache_gb = in.number("data_cache_gb", 0);
  const nlohmann::json data = in.array("data");
  std::vector<KeyProblem> problems;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (auto entry = parse_data_entry(data[i], i, problems)) o.data.push_back(std::move(*entry));
  }
  if (!problems.empty()) {
    return make_error(ErrorKind::protocol, "options." + problems[0].key + ": " + problems[0].message);
  }
  const nlohmann::json hosts = in.array("hosts");
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    util::JsonReader h(hosts[i], "options.hosts[" + std::to_string(i) + "]");
    o.hosts.push_back({h.string("host", host_defaults.host), h.integer("port", host_defaults.port),
                       h.string("user", host_defaults.user), h.string("identity", host_defaults.identity),
                       h.string("gpus", host_defaults.gpus), h.string("workdir", host_defaults.workdir)});
    if (!h.ok()) return *h.error();
  }
  if (!in.ok()) return *in.error();
  return o;
}

}  // namespace choline::spec
