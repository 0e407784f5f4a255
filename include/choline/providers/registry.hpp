#pragma once
// The one table of providers choline knows: their names, whether a run must say which GPUs to
// rent from them, and how to build them. `--provider` validation, its help text and the choice
// of a default spec all read this table, so a new provider is one row.

#include <choline/providers/provider.hpp>
#include <choline/spec/run_options.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace choline::providers {

struct ProviderInfo {
  const char* name;
  const char* summary;  // one line, for help
  bool needs_gpu_spec;  // false only where hosts default to CPU slots of this machine
  std::function<Result<std::unique_ptr<Provider>>(const spec::RunOptions&)> make;
};

const std::vector<ProviderInfo>& provider_table();

// The table as spec/ sees it (names and traits, no factories).
std::vector<spec::ProviderTraits> provider_traits();

// "local, ssh, vast, runpod, lambda", for messages and help.
std::string provider_names();

// Builds the provider named in `options`.
Result<std::unique_ptr<Provider>> make_provider(const spec::RunOptions& options);

// Factories of the providers built so far.
std::unique_ptr<Provider> make_local_provider();
std::unique_ptr<Provider> make_ssh_provider(std::vector<spec::HostEntry> hosts);

}  // namespace choline::providers
