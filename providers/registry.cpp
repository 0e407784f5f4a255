#include <choline/providers/registry.hpp>

#include <choline/providers/rest.hpp>
#include <choline/util/strings.hpp>

namespace choline::providers {

namespace {

// A REST provider's factory: its key, base URL and SSH identity from the environment.
template <class Make>
auto rest(const char* provider, const char* key_env, const char* display, const char* url_env, const char* default_url,
          Make make) {
  return [=](const spec::RunOptions&) -> Result<std::unique_ptr<Provider>> {
    auto config = rest_config_from_environment(provider, key_env, display, url_env, default_url);
    if (!config) return config.error();
    return make(std::move(*config));
  };
}

}  // namespace

const std::vector<ProviderInfo>& provider_table() {
  static const std::vector<ProviderInfo> table = {
      {"local", "workers on this machine's CPU slots (no account needed)", false,
       [](const spec::RunOptions&) -> Result<std::unique_ptr<Provider>> { return make_local_provider(); }},
      {"ssh", "your own machines, listed under \"hosts\" in choline.json", true,
       [](const spec::RunOptions& options) -> Result<std::unique_ptr<Provider>> { return make_ssh_provider(options.hosts); }},
      {"vast", "vast.ai marketplace (VAST_API_KEY)", true,
       rest("vast", "VAST_API_KEY", "vast.ai", "CHOLINE_VAST_URL", "https://console.vast.ai", make_vast_provider)},
      {"runpod", "RunPod (RUNPOD_API_KEY)", true,
       rest("runpod", "RUNPOD_API_KEY", "RunPod", "CHOLINE_RUNPOD_URL", "https://api.runpod.io/graphql", make_runpod_provider)},
      {"lambda", "Lambda Cloud (LAMBDA_API_KEY)", true,
       rest("lambda", "LAMBDA_API_KEY", "Lambda", "CHOLINE_LAMBDA_URL", "https://cloud.lambda.ai/api/v1", make_lambda_provider)},
  };
  return table;
}

std::vector<spec::ProviderTraits> provider_traits() {
  std::vector<spec::ProviderTraits> traits;
  for (const auto& info : provider_table()) traits.push_back({info.name, info.needs_gpu_spec});
  return traits;
}

std::string provider_names() {
  std::vector<std::string> names;
  for (const auto& info : provider_table()) names.emplace_back(info.name);
  return util::join(names, ", ");
}

Result<std::unique_ptr<Provider>> make_provider(const spec::RunOptions& options) {
  for (const auto& info : provider_table()) {
    if (options.provider == info.name) return info.make(options);
  }
  return make_error(ErrorKind::usage, "unknown provider '" + options.provider + "'; known providers: " + provider_names());
}

}  // namespace choline::providers
