#pragma once
// Parsing JSON that may come from a stranger (a host's state frames, metrics lines) or from a
// damaged file. nlohmann's parser is iterative, but copying, dumping and comparing a value
// recurse once per nesting level, so a deeply nested document is refused before it is parsed:
// the depth scan is linear and allocates nothing.

#include <choline/error.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::util {

// The deepest nesting of arrays and objects in `text` (strings and, with `comments`, // and
// /* */ comments are skipped). Stops counting past `limit` and returns limit + 1. Malformed text
// gets some number: the parser reports what is wrong with it.
std::size_t json_depth(std::string_view text, std::size_t limit, bool comments = false);

// Parses `text` as one JSON value nested at most `max_depth` levels. Errors are of kind
// `protocol` and say what was wrong (syntax with its byte offset, or the nesting); callers add
// where the text came from.
Result<nlohmann::json> parse_json(std::string_view text, std::size_t max_depth, bool comments = false);

// `value` as text, with invalid UTF-8 in strings replaced (U+FFFD) instead of thrown: strings
// that came from a host (a file name, an error message) may hold any bytes, and a record that
// cannot be written would lose the run. `indent` as in nlohmann's dump.
std::string dump_json(const nlohmann::json& value, int indent = -1);

// An integer that fits `int`: exit codes, ranks, attempts, ports. nullopt for floats, strings,
// and integers out of range (a float-to-int cast of 1e300 is undefined behaviour).
std::optional<int> json_int(const nlohmann::json& value);
// The string at `key` of an object, or "" when `value` is not an object or the key holds no string.
std::string json_text(const nlohmann::json& value, const char* key);
// The same for 64-bit values (pids, sizes, steps).
std::optional<std::int64_t> json_int64(const nlohmann::json& value);

// Reads typed fields off a JSON object without exceptions or undefined behaviour: an absent or
// null field gives the fallback; a field of another type, or a number that does not fit (1e300
// as an int), gives the fallback too and is remembered as the first problem. Lenient callers
// (provider responses) ignore error(); strict ones (run.json) refuse the record.
class JsonReader {
 public:
  // `where` names the object in errors ("run.json", "hosts[2]").
  JsonReader(const nlohmann::json& object, std::string where);
  // The reader keeps a reference: a temporary (say, another reader's object()) would dangle.
  JsonReader(nlohmann::json&& object, std::string where) = delete;

  int integer(const char* key, int fallback);
  std::int64_t int64(const char* key, std::int64_t fallback);
  std::uint64_t uint64(const char* key, std::uint64_t fallback);
  double number(const char* key, double fallback);
  bool boolean(const char* key, bool fallback);
  std::string string(const char* key, const std::string& fallback = {});
  std::vector<std::string> strings(const char* key);  // an array of strings, else empty
  // The field itself when it is an object (or an array, with `array`), else an empty one.
  nlohmann::json object(const char* key);
  nlohmann::json array(const char* key);

  bool ok() const { return !m_error; }
  const std::optional<Error>& error() const { return m_error; }

 private:
  const nlohmann::json* find(const char* key);
  void wrong(const char* key, const char* expected);
  const nlohmann::json& m_object;
  std::string m_where;
  std::optional<Error> m_error;
};

}  // namespace choline::util
