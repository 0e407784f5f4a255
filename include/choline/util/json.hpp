#pragma once
// Parsing JSON that may come from a stranger (a host's state frames, metrics lines) or from a
// damaged file. nlohmann's parser is iterative, but copying, dumping and comparing a value
// recurse once per nesting level, so a deeply nested document is refused before it is parsed:
// the depth scan is linear and allocates nothing.

#include <choline/error.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

namespace choline::util {

// The deepest nesting of arrays and objects in `text` (strings and, with `comments`, // and
// /* */ comments are skipped). Stops counting past `limit` and returns limit + 1. Malformed text
// gets some number: the parser reports what is wrong with it.
std::size_t json_depth(std::string_view text, std::size_t limit, bool comments = false);

// Parses `text` as one JSON value nested at most `max_depth` levels. Errors are of kind
// `protocol` and say what was wrong (syntax with its byte offset, or the nesting); callers add
// where the text came from.
Result<nlohmann::json> parse_json(std::string_view text, std::size_t max_depth, bool comments = false);

// An integer that fits `int`: exit codes, ranks, attempts, ports. nullopt for floats, strings,
// and integers out of range (a float-to-int cast of 1e300 is undefined behaviour).
std::optional<int> json_int(const nlohmann::json& value);
// The same for 64-bit values (pids, sizes, steps).
std::optional<std::int64_t> json_int64(const nlohmann::json& value);

}  // namespace choline::util
