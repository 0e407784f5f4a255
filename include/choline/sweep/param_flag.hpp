#pragma once
// Parameters from the command line: `-p NAME=SPEC`, for sweeps without a file.
//
//   -p lr=loguniform:1e-5:1e-1        log_uniform_values (also: log_uniform_values:MIN:MAX)
//   -p dropout=uniform:0:0.5          uniform
//   -p layers=int:1:8                 int_uniform, both ends included (also: int_uniform:MIN:MAX)
//   -p x=q_uniform:0:1:0.1            q_uniform (q last); q_loguniform:MIN:MAX:Q likewise
//   -p width=choice:64,128,256        categorical (also: categorical:...); items are integers,
//                                     floats, true/false, or else strings
//   -p noise=normal:0:1               normal MU:SIGMA; lognormal:MU:SIGMA; beta:A:B
//   -p seed=42                        a constant (any SPEC without a known KIND: prefix);
//   -p tag=value:a:b                  value:TEXT forces a constant string
//
// The result is the same Parameter a file gives, checked by the same rules.

#include <choline/error.hpp>
#include <choline/sweep/space.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace choline::sweep {

// One flag's value ("lr=loguniform:1e-5:1e-1"); problems name the flag ("-p lr=...").
std::optional<SpaceEntry> parse_param_flag(const std::string& flag, Problems& problems);

// Every flag at once (a name given twice is a problem too), sorted as a file's space is.
// Errors are of kind usage and list each bad flag.
Result<SearchSpace> parse_param_flags(const std::vector<std::string>& flags);

// A command-line scalar: a decimal integer, a finite float, true/false, or else the text.
nlohmann::json parse_cli_scalar(const std::string& text);

}  // namespace choline::sweep
