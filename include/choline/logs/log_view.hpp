#pragma once
// How worker log lines are shown on the laptop and which ones `choline logs` shows. Pure:
// lines, queries and times in, text and decisions out.
//
// A shown line is "[node/rank] text". On a colour terminal the prefix has a colour per rank
// (stable: the same rank always gets the same one) and the stderr marker the supervisor puts
// on worker stderr lines is red; without colour both stay plain text, as in the log files.

#include <choline/error.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace choline::logs {

// "[0/1] text" with the node/rank prefix, coloured or not.
std::string render_log_line(int node, int rank, std::string_view line, bool color);

// The ANSI colour (SGR parameter) of a rank's prefix; never red, which marks stderr.
std::string_view rank_color(int rank);

// A worker line without the supervisor's stderr marker, and whether it had one.
std::pair<std::string_view, bool> strip_stderr_marker(std::string_view line);

// A `choline-metrics: {json}` line (after the stderr marker, if any) whose JSON is an object:
// choline's protocol, which belongs in metrics.jsonl, not in the user's terminal. A line with the
// prefix but broken JSON is the script's own output and is shown.
bool is_metrics_line(std::string_view line);

// What `choline logs` was asked to show. Every criterion that is set must hold.
struct LogQuery {
  std::set<int> ranks;                        // empty: every rank
  std::set<int> nodes;                        // empty: every node
  std::optional<int> attempt;                 // lines of that attempt only (its marker line included)
  std::optional<std::string> grep;            // ECMAScript regular expression, searched in the line
  std::optional<std::chrono::seconds> since;  // lines that reached the laptop at most this long ago
};

// Decides line by line, remembering per rank which attempt the lines belong to (from the
// attempt markers), so the lines must come in file order per rank.
class LogFilter {
 public:
  // Fails (usage) for a --grep that is not a valid regular expression. `now_unix` is the time
  // --since counts back from.
  static Result<LogFilter> make(const LogQuery& query, std::int64_t now_unix);

  // `arrived_unix`: when the line reached the laptop (std::nullopt: not known, e.g. lines held
  // from before choline recorded arrival times; --since leaves them out).
  bool keep(int node, int rank, std::string_view line, std::optional<std::int64_t> arrived_unix);

 private:
  LogQuery m_query;
  std::optional<std::regex> m_regex;
  std::int64_t m_cutoff_unix = 0;
  std::map<int, int> m_attempt_of_rank;  // the attempt each rank's lines belong to now (0: before any marker)
};

// Parses a --since value: a whole number and a unit, s, m, h or d ("90s", "10m", "2h", "1d"),
// or several ("1h30m"). std::nullopt for anything else or a zero duration.
std::optional<std::chrono::seconds> parse_since(std::string_view text);

// When a log's laptop copy received the byte at `offset`: the time of the last arrival record
// at or before it. `records` is sorted by offset (what LogSink writes). std::nullopt when the
// byte came before the first record.
std::optional<std::int64_t> arrival_at(const std::vector<std::pair<std::uint64_t, std::int64_t>>& records,
                                       std::uint64_t offset);

}  // namespace choline::logs
