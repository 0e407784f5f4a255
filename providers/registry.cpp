#include <choline/providers/registry.hpp>

#include <choline/util/strings.hpp>

namespace choline::providers {

namespace {

Result<std::unique_ptr<Provider>> not_built(const spec::RunOptions& options) {
  return make_error(ErrorKind::unsupported, "provider '" + options.provider +
                                                "' is not built yet in this version of choline; use local or ssh");
}

}  // namespace

const std::vector<ProviderInfo>& provider_table() {
  static const std::vector<ProviderInfo> table = {
      {"local", "workers on this machine's CPU slots (no account needed)", false,
       [](const spec::RunOptions&) -> Result<std::unique_ptr<Provider>> { return make_local_provider(); }},
      {"ssh", "your own machines, listed under \"hosts\" in choline.json", true,
       [](const spec::RunOptions& options) -> Result<std::unique_ptr<Provider>> { return make_ssh_provider(options.hosts); }},
      {"vast", "vast.ai marketplace", true, not_built},
      {"runpod", "RunPod", true, not_built},
      {"lambda", "Lambda Cloud", true, not_built},
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
