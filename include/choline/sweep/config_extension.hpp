#pragma once
// choline's own settings in a sweep file: the `choline` key (config.hpp shows its keys).

#include <choline/sweep/config.hpp>
#include <choline/sweep/problems.hpp>

#include <nlohmann/json.hpp>

namespace choline::sweep {

// Reads `node` (the value of `choline`) into `config`; `had_early_terminate` says whether the
// file also gave W&B's early_terminate (a stopper named here overrides it, with a note).
void parse_choline_extension(const nlohmann::json& node, bool had_early_terminate, SweepConfig& config,
                             Problems& problems);

}  // namespace choline::sweep
