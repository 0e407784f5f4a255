#pragma once
// YAML text as the same JSON tree a JSON file gives, so one validator reads both. Plain scalars
// are typed as PyYAML types them when W&B reads a sweep file (YAML 1.1: null, ~, true/false,
// yes/no, on/off, 0x1F, 010 octal, 1_000, .inf, .nan), and exponent floats without a dot (1e-5,
// a string to PyYAML) are numbers too, as YAML 1.2 and JSON read them. Quoted scalars are strings.

#include <choline/error.hpp>

#include <nlohmann/json.hpp>

#include <string_view>

namespace choline::sweep {

// The first document of `text`. Errors (usage) give the line and column of a syntax error, a
// duplicate key's path, a key that is not a scalar, or a document nested deeper than 64 levels
// or with more than 100,000 nodes (aliases repeat what they point at).
Result<nlohmann::json> yaml_to_json(std::string_view text);

// The JSON value of one plain (unquoted) YAML scalar, by the rules above.
nlohmann::json resolve_plain_scalar(const std::string& text);

}  // namespace choline::sweep
