#pragma once
// choline.json: the project's defaults for every train option. Parsing is pure (text in, Config
// or one error listing every problem out) so that each error path is unit-testable.

#include <choline/error.hpp>
#include <choline/spec/data_entry.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::spec {

inline constexpr std::string_view k_config_file_name = "choline.json";

// A bring-your-own host for the ssh provider.
struct HostEntry {
  std::string host;
  int port = 22;
  std::string user = "root";
  std::string identity;    // private key path on this machine; empty: the ssh agent / defaults
  std::string gpus = "1xcpu";  // what the host offers, in spec syntax ("2x3090", "RTX3090:2")
  std::string workdir = ".choline";  // choline's directory on the host; relative paths start at the login directory

  bool operator==(const HostEntry&) const = default;
};

// Every key is optional: an unset key leaves the built-in default (or the flag) in charge.
struct Config {
  std::optional<std::string> provider;
  std::optional<std::string> gpus;
  std::optional<int> nodes;
  std::optional<std::string> image;
  std::optional<std::string> python;
  std::vector<std::string> setup;   // shell commands run once per host after the first sync
  std::vector<std::string> env;     // names of local environment variables forwarded to workers
  std::vector<std::string> ignore;  // extra sync ignore patterns (.gitignore syntax)
  std::optional<std::string> checkpoint_dir;
  std::optional<double> max_price;  // USD per GPU-hour
  std::optional<double> max_cost;   // USD for the whole run
  std::optional<int> max_restarts;
  std::optional<int> max_host_losses;  // hosts that may be lost and replaced in one run
  std::optional<int> host_timeout;     // seconds of silence after which a host counts as lost
  std::optional<int> replacement_timeout;  // seconds to keep trying to rent a replacement
  std::vector<HostEntry> hosts;
  // How data-parallel replicas synchronize in choline's C++ runtime, forwarded to workers as
  // CHOLINE_SYNC: "ddp", "local-sgd:H" or "diloco:H[,lr=X,momentum=X,nesterov=0|1,compress=none|bf16|int8]",
  // H a step count or a time budget like "30s" (runtime/include/choline/runtime/sync.hpp).
  std::optional<std::string> sync;
  // Datasets that travel to every host (spec/data_entry.hpp), in the file's order.
  std::vector<DataEntry> data_entries;
  // Size limit of each host's data cache, in GB (10^9 bytes); unset: a share of the host's free disk.
  std::optional<double> data_cache_gb;
  // Provenance for model cards (src/run/model_card.cpp): why the checkpoints were trained.
  std::optional<std::string> purpose;        // free text: what the model is for
  std::optional<std::string> preprocessing;  // free text: what was done to the data
};

// Checks a "sync" value against the runtime's grammar (which the runtime parses again; this
// copy lets choline reject a typo before renting anything). Returns what is wrong, or
// std::nullopt if the value is valid.
std::optional<std::string> sync_spec_error(std::string_view text);

// The keys choline.json accepts, for help texts and "did you mean".
const std::vector<std::string>& config_keys();

// Parses choline.json text. `source` names the file in messages. On failure the error (kind
// usage) lists every problem found, one per line, each naming the file and the key.
Result<Config> parse_config(std::string_view text, const std::string& source);

// Loads `path` if it exists; a missing file gives an empty Config (every key unset).
Result<Config> load_config_file(const std::filesystem::path& path);

}  // namespace choline::spec
