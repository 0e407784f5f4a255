#include <choline/sync/ignore.hpp>

#include <choline/util/strings.hpp>

namespace choline::sync {

namespace {

// Matches one character class "[...]" at the start of `pattern` against `c`. Returns the length
// of the class in the pattern, or 0 if it is malformed (then '[' is a literal).
std::size_t match_class(std::string_view pattern, char c, bool& matched) {
  std::size_t i = 1;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
    negate = true;
    ++i;
  }
  bool hit = false;
  bool first = true;
  while (i < pattern.size() && (pattern[i] != ']' || first)) {
    first = false;
    char low = pattern[i];
    if (low == '\\' && i + 1 < pattern.size()) low = pattern[++i];
    char high = low;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      high = pattern[i + 2];
      i += 2;
    }
    if (c >= low && c <= high) hit = true;
    ++i;
  }
  if (i >= pattern.size()) return 0;
  matched = hit != negate;
  return i + 1;
}

}  // namespace

bool glob_match(std::string_view p, std::string_view t) {
  while (!p.empty()) {
    if (p[0] == '*') {
      if (p.size() >= 2 && p[1] == '*') {
        std::string_view rest = p.substr(2);
        if (!rest.empty() && rest[0] == '/') {
          // "**/" matches zero or more whole directories.
          rest.remove_prefix(1);
          if (glob_match(rest, t)) return true;
          for (std::size_t i = 0; i < t.size(); ++i) {
            if (t[i] == '/' && glob_match(rest, t.substr(i + 1))) return true;
          }
          return false;
        }
        for (std::size_t i = 0; i <= t.size(); ++i) {
          if (glob_match(rest, t.substr(i))) return true;
        }
        return false;
      }
      for (std::size_t i = 0; i <= t.size(); ++i) {
        if (glob_match(p.substr(1), t.substr(i))) return true;
        if (i < t.size() && t[i] == '/') break;
      }
      return false;
    }
    if (t.empty()) return false;
    if (p[0] == '?') {
      if (t[0] == '/') return false;
      p.remove_prefix(1);
    } else if (p[0] == '[') {
      bool matched = false;
      const std::size_t length = match_class(p, t[0], matched);
      if (length == 0) {
        if (t[0] != '[') return false;
        p.remove_prefix(1);
      } else {
        if (!matched || t[0] == '/') return false;
        p.remove_prefix(length);
      }
    } else {
      if (p[0] == '\\' && p.size() >= 2) p.remove_prefix(1);
      if (p[0] != t[0]) return false;
      p.remove_prefix(1);
    }
    t.remove_prefix(1);
  }
  return t.empty();
}

IgnoreRules IgnoreRules::with_defaults() {
  IgnoreRules rules;
  rules.add_pattern(".git/");
  return rules;
}

void IgnoreRules::add_file(std::string_view base_dir, std::string_view content) {
  for (const auto& line : util::split(content, '\n')) add_line(base_dir, line);
}

void IgnoreRules::add_line(std::string_view base_dir, std::string_view raw) {
  std::string line(raw);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  // Trailing spaces are dropped unless escaped with a backslash.
  while (!line.empty() && line.back() == ' ' && !(line.size() >= 2 && line[line.size() - 2] == '\\')) line.pop_back();
  if (line.empty() || line[0] == '#') return;
  Rule rule;
  rule.base = std::string(base_dir);
  if (line[0] == '!') {
    rule.negated = true;
    line.erase(0, 1);
  } else if (line[0] == '\\' && line.size() > 1 && (line[1] == '#' || line[1] == '!')) {
    line.erase(0, 1);
  }
  if (!line.empty() && line.back() == '/') {
    rule.dir_only = true;
    line.pop_back();
  }
  if (line.empty()) return;
  rule.anchored = line.find('/') != std::string::npos;
  if (line[0] == '/') line.erase(0, 1);
  rule.pattern = line;
  m_rules.push_back(std::move(rule));
}

bool IgnoreRules::is_ignored(std::string_view path, bool is_dir) const {
  bool ignored = false;
  const std::size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (const auto& rule : m_rules) {
    if (rule.dir_only && !is_dir) continue;
    std::string_view relative = path;
    if (!rule.base.empty()) {
      if (!util::starts_with(path, rule.base) || path.size() <= rule.base.size() || path[rule.base.size()] != '/') continue;
      relative = path.substr(rule.base.size() + 1);
    }
    const bool hit = rule.anchored ? glob_match(rule.pattern, relative) : glob_match(rule.pattern, name);
    if (hit) ignored = !rule.negated;
  }
  return ignored;
}

}  // namespace choline::sync
