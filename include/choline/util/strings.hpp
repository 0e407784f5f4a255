#pragma once
// Small string helpers that know nothing of choline.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::util {

std::string to_upper(std::string_view text);
std::string to_lower(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);
std::string trim(std::string_view text);
// A POSIX-style environment variable name: letters, digits and '_', not starting with a digit.
bool is_env_name(std::string_view name);
std::vector<std::string> split(std::string_view text, char separator);
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// `text` safe to print on a terminal: control characters (escape sequences a peer could use to
// rewrite the screen, NUL, newlines) become \xNN, and past `max` bytes it is cut with "...".
std::string printable(std::string_view text, std::size_t max = 200);

// A line of a program's output made safe for a terminal: colour sequences (SGR, ESC [ ... m)
// are kept when `keep_colors`, every other escape sequence (cursor moves, screen clears, OSC
// window titles and clipboard writes, DCS) and control character but tab is dropped, C1
// controls (U+0080..U+009F) included. A line redrawn with carriage returns (a progress bar)
// keeps its last state. Worker logs come from a stranger's machine.
std::string terminal_safe(std::string_view line, bool keep_colors);

// Parses a whole string as a non-negative decimal integer; std::nullopt on any other character,
// an empty string, or a value above max.
std::optional<long long> parse_uint(std::string_view text, long long max);

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Returns the candidate closest to `word` if it is close enough to be a plausible typo.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace choline::util
