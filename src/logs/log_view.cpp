#include <choline/logs/log_view.hpp>

#include <choline/agent/job.hpp>
#include <choline/agent/stderr_relay.hpp>
#include <choline/limits.hpp>
#include <choline/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <limits>

namespace choline::logs {

namespace {

constexpr std::string_view k_reset = "\033[0m";
constexpr std::string_view k_red = "\033[31m";

}  // namespace

std::string_view rank_color(int rank) {
  // Cyan, green, yellow, blue, magenta, then their bright forms: red is stderr's.
  static constexpr std::string_view palette[] = {"36", "32", "33", "34", "35", "96", "92", "93", "94", "95"};
  const auto count = static_cast<int>(std::size(palette));
  return palette[((rank % count) + count) % count];
}

std::pair<std::string_view, bool> strip_stderr_marker(std::string_view line) {
  if (line.substr(0, agent::k_stderr_marker.size()) == agent::k_stderr_marker) {
    return {line.substr(agent::k_stderr_marker.size()), true};
  }
  return {line, false};
}

bool is_metrics_line(std::string_view line) {
  line = strip_stderr_marker(line).first;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.substr(0, agent::k_metrics_prefix.size()) != agent::k_metrics_prefix) return false;
  line.remove_prefix(agent::k_metrics_prefix.size());
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] != '{' || line.size() > limits::k_max_metrics_line) return false;
  // accept() parses without building a value (and without recursion: nesting costs no stack).
  return nlohmann::json::accept(line);
}

std::string render_log_line(int node, int rank, std::string_view line, bool color) {
  const std::string prefix = "[" + std::to_string(node) + "/" + std::to_string(rank) + "]";
  // The line is a stranger's machine's output: no escape sequence but colours reaches the
  // terminal (a host could otherwise move the cursor, retitle the window or write the clipboard).
  if (!color) return prefix + " " + util::terminal_safe(line, false);
  std::string out = "\033[" + std::string(rank_color(rank)) + "m" + prefix + std::string(k_reset) + " ";
  const auto [text, from_stderr] = strip_stderr_marker(line);
  if (from_stderr) {
    std::string_view marker = agent::k_stderr_marker;
    marker.remove_suffix(1);  // the space stays outside the colour
    out += std::string(k_red) + std::string(marker) + std::string(k_reset) + " ";
  }
  out += util::terminal_safe(text, true);
  return out;
}

Result<LogFilter> LogFilter::make(const LogQuery& query, std::int64_t now_unix) {
  LogFilter filter;
  filter.m_query = query;
  if (query.grep) {
    try {
      filter.m_regex.emplace(*query.grep, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return make_error(ErrorKind::usage,
                        "--grep '" + *query.grep + "' is not a valid regular expression (" + e.what() +
                            "); it takes ECMAScript syntax, e.g. --grep 'loss|acc' or --grep '^epoch [0-9]+'");
    }
  }
  if (query.since) filter.m_cutoff_unix = now_unix - query.since->count();
  return filter;
}

bool LogFilter::keep(int node, int rank, std::string_view line, std::optional<std::int64_t> arrived_unix) {
  int& attempt = m_attempt_of_rank[rank];
  if (auto marked = agent::parse_attempt_marker(line)) attempt = *marked;
  if (!m_query.ranks.empty() && !m_query.ranks.count(rank)) return false;
  if (!m_query.nodes.empty() && !m_query.nodes.count(node)) return false;
  if (m_query.attempt && attempt != *m_query.attempt) return false;
  if (m_query.since && (!arrived_unix || *arrived_unix < m_cutoff_unix)) return false;
  if (m_regex && !std::regex_search(line.begin(), line.end(), *m_regex)) return false;
  return true;
}

std::optional<std::chrono::seconds> parse_since(std::string_view text) {
  if (text.empty()) return std::nullopt;
  constexpr long long k_max_seconds = 100LL * 365 * 24 * 3600;  // a century: beyond it, a typo
  long long total = 0;
  while (!text.empty()) {
    long long number = 0;
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
      number = number * 10 + (text[digits] - '0');
      if (number > k_max_seconds) return std::nullopt;
      ++digits;
    }
    if (digits == 0 || digits == text.size()) return std::nullopt;  // a unit must follow every number
    long long unit = 0;
    switch (text[digits]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        return std::nullopt;
    }
    total += number * unit;
    if (total > k_max_seconds) return std::nullopt;
    text.remove_prefix(digits + 1);
  }
  if (total == 0) return std::nullopt;
  return std::chrono::seconds(total);
}

std::optional<std::int64_t> arrival_at(const std::vector<std::pair<std::uint64_t, std::int64_t>>& records,
                                       std::uint64_t offset) {
  const auto after = std::upper_bound(records.begin(), records.end(), offset,
                                      [](std::uint64_t value, const auto& record) { return value < record.first; });
  if (after == records.begin()) return std::nullopt;
  return std::prev(after)->second;
}

}  // namespace choline::logs
