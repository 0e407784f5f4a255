#include <choline/sync/ignore.hpp>

#include <choline/limits.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

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

Glob::Glob(std::string_view p) {
  while (!p.empty()) {
    Token token;
    if (p[0] == '*') {
      if (p.size() >= 3 && p[1] == '*' && p[2] == '/') {
        token.kind = Kind::any_dirs;
        p.remove_prefix(3);
      } else if (p.size() >= 2 && p[1] == '*') {
        token.kind = Kind::double_star;
        p.remove_prefix(2);
      } else {
        token.kind = Kind::star;
        p.remove_prefix(1);
      }
    } else if (p[0] == '?') {
      token.kind = Kind::any_char;
      p.remove_prefix(1);
    } else if (bool unused = false; p[0] == '[' && match_class(p, 'a', unused) > 0) {
      token.kind = Kind::char_class;
      std::size_t length = 0;
      for (int c = 0; c < 256; ++c) {
        bool matched = false;
        length = match_class(p, static_cast<char>(c), matched);
        token.set[static_cast<std::size_t>(c)] = matched && c != '/';
      }
      p.remove_prefix(length);
    } else {
      // A malformed class's '[' is a literal; a backslash makes the next character one.
      if (p[0] == '\\' && p.size() >= 2) p.remove_prefix(1);
      token.c = p[0];
      p.remove_prefix(1);
    }
    m_tokens.push_back(token);
  }
}

// A state at a `*`, `**` or `**/` may also skip it, matching nothing.
void Glob::close_over_empty(std::vector<char>& states) const {
  for (std::size_t i = 0; i < m_tokens.size(); ++i) {
    if (states[i] && loops(m_tokens[i].kind)) states[i + 1] = 1;
  }
}

bool Glob::matches(std::string_view text) const {
  const std::size_t n = m_tokens.size();
  // states[i]: the text so far can be matched by the first i tokens. inside[i]: token i is a
  // `**/` that has consumed characters but not yet the '/' that ends them.
  std::vector<char> states(n + 1, 0), next(n + 1, 0), inside(n, 0), next_inside(n, 0);
  states[0] = 1;
  close_over_empty(states);
  for (const char c : text) {
    std::fill(next.begin(), next.end(), 0);
    std::fill(next_inside.begin(), next_inside.end(), 0);
    bool alive = false;
    for (std::size_t i = 0; i < n; ++i) {
      const Token& token = m_tokens[i];
      const bool at = states[i] != 0;
      if (!at && !(token.kind == Kind::any_dirs && inside[i])) continue;
      switch (token.kind) {
        case Kind::literal: if (c == token.c) next[i + 1] = 1; break;
        case Kind::any_char: if (c != '/') next[i + 1] = 1; break;
        case Kind::char_class: if (token.set[static_cast<unsigned char>(c)]) next[i + 1] = 1; break;
        case Kind::star: if (c != '/') next[i] = 1; break;
        case Kind::double_star: next[i] = 1; break;
        case Kind::any_dirs:
          next_inside[i] = 1;
          if (c == '/') next[i + 1] = 1;
          break;
      }
    }
    close_over_empty(next);
    for (std::size_t i = 0; i <= n && !alive; ++i) alive = next[i] || (i < n && next_inside[i]);
    if (!alive) return false;
    states.swap(next);
    inside.swap(next_inside);
  }
  return states[n] != 0;
}

bool glob_match(std::string_view pattern, std::string_view text) { return Glob(pattern).matches(text); }

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
  if (m_rules.size() >= limits::k_max_ignore_patterns) {
    if (!m_warned_full) spdlog::warn("sync: more than {} ignore patterns; the rest are not applied", limits::k_max_ignore_patterns);
    m_warned_full = true;
    return;
  }
  rule.glob = Glob(line);
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
    const bool hit = rule.glob.matches(rule.anchored ? relative : name);
    if (hit) ignored = !rule.negated;
  }
  return ignored;
}

}  // namespace choline::sync
