#include <choline/util/strings.hpp>

#include <cstdio>

#include <algorithm>
#include <cctype>

namespace choline::util {

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string trim(std::string_view text) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

std::optional<long long> parse_uint(std::string_view text, long long max) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  long long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(to_lower(word), to_lower(candidate));
    if (!best || d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  // A third of the word's length (at least 1, at most 3 edits) separates typos from other words.
  const std::size_t allowed = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  if (best && best_distance <= allowed) return best;
  return std::nullopt;
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max) out += "...";
  return out;
}

std::string terminal_safe(std::string_view line, bool keep_colors) {
  // Carriage returns redraw a line in place (progress bars): keep what the terminal would end up
  // showing, the last non-empty stretch ("text\r" from CRLF output keeps "text").
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (const auto cr = line.rfind('\r'); cr != std::string_view::npos) line.remove_prefix(cr + 1);
  std::string out;
  out.reserve(line.size());
  const std::size_t n = line.size();
  const auto byte_in = [&](std::size_t at, unsigned lo, unsigned hi) {
    return at < n && static_cast<unsigned char>(line[at]) >= lo && static_cast<unsigned char>(line[at]) <= hi;
  };
  for (std::size_t i = 0; i < n;) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == 0x1b) {
      const char kind = i + 1 < n ? line[i + 1] : '\0';
      if (kind == '[') {
        // CSI: parameter bytes, intermediate bytes, one final byte.
        std::size_t j = i + 2;
        while (byte_in(j, 0x30, 0x3f)) ++j;
        while (byte_in(j, 0x20, 0x2f)) ++j;
        const bool complete = byte_in(j, 0x40, 0x7e);
        if (complete && line[j] == 'm' && keep_colors) out.append(line.substr(i, j + 1 - i));
        i = complete ? j + 1 : n;
      } else if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
        // OSC, DCS, SOS, PM, APC: a string ended by BEL or ESC backslash, all dropped.
        std::size_t j = i + 2;
        while (j < n && line[j] != '\a' && !(line[j] == '\x1b' && j + 1 < n && line[j + 1] == '\\')) ++j;
        i = j >= n ? n : (line[j] == '\a' ? j + 1 : j + 2);
      } else {
        i += kind == '\0' ? 1 : 2;  // a two-byte escape, dropped
      }
    } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
      ++i;
    } else if (c == 0xc2 && byte_in(i + 1, 0x80, 0x9f)) {
      i += 2;  // a C1 control in UTF-8 (U+009B is a CSI to some terminals)
    } else {
      out += static_cast<char>(c);
      ++i;
    }
  }
  return out;
}

}  // namespace choline::util
