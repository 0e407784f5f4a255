#pragma once
// Ignore rules with .gitignore semantics: `#` comments, `!` negation, trailing `/` for
// directories only, patterns with a slash anchored to the ignore file's directory, `*`, `?`,
// `[...]`, and `**`. The last matching rule wins; a file inside an ignored directory stays
// ignored (a directory that is ignored is never entered). Pure: the scanner feeds the rules.

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace choline::sync {

// Names of the per-directory ignore files the scanner reads.
inline constexpr std::string_view k_gitignore = ".gitignore";
inline constexpr std::string_view k_cholineignore = ".cholineignore";

// Which of those files a scan reads. The project reads both; a data entry is named on purpose,
// so .gitignore does not apply to it; a data stage's receiver reads none, so that its deletion
// leaves exactly what the sender listed.
enum class IgnoreFiles { git_and_choline, choline_only, none };

// A glob in which `*`, `?` and `[...]` do not cross '/', `**` does, and `**/` matches zero or
// more whole directories. Compiled once; matching follows every position of the pattern at once
// (an NFA simulation), so it costs at most pattern length x text length steps whatever the
// pattern. A backtracking matcher took 25 s for `*a*a*a*a*a*a*a*ab` against a 60-character name,
// and ignore patterns can come from a host (a pulled .gitignore).
class Glob {
 public:
  Glob() = default;  // matches only the empty text
  explicit Glob(std::string_view pattern);
  bool matches(std::string_view text) const;

 private:
  enum class Kind : std::uint8_t { literal, any_char, char_class, star, double_star, any_dirs };
  struct Token {
    Kind kind = Kind::literal;
    char c = 0;
    std::bitset<256> set;  // char_class only
  };
  static bool loops(Kind kind) { return kind == Kind::star || kind == Kind::double_star || kind == Kind::any_dirs; }
  void close_over_empty(std::vector<char>& states) const;
  std::vector<Token> m_tokens;
};

// Glob(pattern).matches(text), for one-off matches.
bool glob_match(std::string_view pattern, std::string_view text);

class IgnoreRules {
 public:
  // The rules every sync starts with: `.git/` (history is not part of a run).
  static IgnoreRules with_defaults();

  // Adds the lines of an ignore file found in `base_dir` (relative to the root, "" for the root).
  // Past limits::k_max_ignore_patterns rules in all, further lines are dropped (with a warning):
  // ignore files can arrive from a host.
  void add_file(std::string_view base_dir, std::string_view content);

  // Adds one pattern as if it were a line of a root ignore file.
  void add_pattern(std::string_view pattern) { add_line("", pattern); }

  // True if `path` (relative to the root) is ignored. `is_dir` says whether it is a directory.
  // Callers check parents first: this looks at the path's own rules only.
  bool is_ignored(std::string_view path, bool is_dir) const;

  std::size_t size() const { return m_rules.size(); }

 private:
  struct Rule {
    std::string base;  // directory of the ignore file, "" or "a/b"
    Glob glob;         // the pattern without leading '/', trailing '/', '!'
    bool negated = false;
    bool dir_only = false;
    bool anchored = false;  // contained a '/': match against the path from base, else the name
  };
  void add_line(std::string_view base_dir, std::string_view line);
  std::vector<Rule> m_rules;
  bool m_warned_full = false;
};

}  // namespace choline::sync
