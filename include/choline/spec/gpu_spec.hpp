#pragma once
// The GPU spec grammar (pure): what a user asks for per host, e.g. `--4x3090`, `--1xA100-80GB`,
// `--2xcpu`, or the long form `--gpus RTX3090:4`, plus `--nodes N` hosts of that shape.

#include <choline/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace choline::spec {

// Limits that separate a typo from a real request. Marketplaces list at most 16 GPUs per machine;
// more than that on one host is a mistake, more hosts go through --nodes.
inline constexpr int k_max_gpus_per_host = 16;
inline constexpr int k_max_cpu_slots_per_host = 256;
inline constexpr int k_max_nodes = 64;

// The canonical name for CPU worker slots (the local provider's and tests' "GPU").
inline constexpr std::string_view k_cpu = "cpu";

struct GpuSpec {
  std::string gpu;  // canonical name: "RTX3090", "A100-80GB", "H100", "cpu", ...
  int count = 1;    // GPUs (or CPU worker slots) per host
  int nodes = 1;    // hosts of this shape

  bool is_cpu() const { return gpu == k_cpu; }
  int total_workers() const { return count * nodes; }
  // "4xRTX3090", with "x2 nodes" appended when nodes > 1.
  std::string describe() const;
  bool operator==(const GpuSpec&) const = default;
};

// Canonical GPU names, in the order help texts list them.
const std::vector<std::string>& known_gpus();

// Maps any accepted spelling of a GPU to its canonical name: "3090", "rtx3090", "RTX_3090",
// "GeForce RTX 3090" -> "RTX3090"; "a100_80gb", "A100-80G" -> "A100-80GB" (memory sizes are
// kept, not guessed); "CPU" -> "cpu". Returns a usage error naming the known GPUs otherwise.
Result<std::string> canonical_gpu(std::string_view name);

// Parses the short form body "4x3090" (without the leading dashes).
Result<GpuSpec> parse_short_spec(std::string_view text);

// Parses the long form "RTX3090:4" or "RTX3090" (one GPU), and the short form "4x3090" too, so
// that config files can use either.
Result<GpuSpec> parse_spec(std::string_view text);

// Checks a --nodes value.
Status validate_nodes(long long nodes);

// One line listing the accepted forms, appended to every spec error.
std::string accepted_forms();

// True if `arg` looks like a short spec flag (`--<digits>x...` or `--x...`): those are the
// tokens CLI11 cannot declare, so they are rewritten before parsing.
bool looks_like_short_spec_flag(std::string_view arg);

// Rewrites argv so CLI11 can parse it: every `--NxGPU` before a `--` separator becomes
// `--gpus=GPU:N` with the canonical GPU name. A malformed spec fails here, with the error naming
// the token as the user typed it; two spec flags are an error too.
Result<std::vector<std::string>> rewrite_spec_flags(const std::vector<std::string>& args);

}  // namespace choline::spec
