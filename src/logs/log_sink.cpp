#include <choline/logs/log_sink.hpp>

#include <choline/logs/log_view.hpp>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>

namespace choline::logs {

LogSink::LogSink(std::filesystem::path dir, std::ostream* echo, int slots_per_node)
    : m_dir(std::move(dir)),
      m_echo(echo),
      m_slots_per_node(std::max(1, slots_per_node)),
      m_now_unix([] { return static_cast<std::int64_t>(std::time(nullptr)); }) {
  std::error_code ec;
  std::filesystem::create_directories(m_dir, ec);
}

Status LogSink::append(int rank, std::uint64_t offset, std::string_view data) {
  std::lock_guard lock(m_mutex);
  const auto path = file_for(rank);
  std::error_code ec;
  const std::uint64_t held = std::filesystem::exists(path, ec) ? std::filesystem::file_size(path, ec) : 0;
  if (offset > held) {
    return make_error(ErrorKind::protocol, "log of rank " + std::to_string(rank) + " skipped from byte " +
                                               std::to_string(held) + " to " + std::to_string(offset));
  }
  if (offset + data.size() <= held) return {};
  data.remove_prefix(static_cast<std::size_t>(held - offset));
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.flush();
  if (!out) return make_error(ErrorKind::io, "cannot write " + path.string());
  note_arrival(rank, held);
  const std::int64_t now = m_now_unix();
  echo_lines(rank, data, held, [now](std::uint64_t) { return std::optional<std::int64_t>(now); });
  return {};
}

// One record per rank and second at most: --since counts in seconds, and a chatty worker must
// not double the writes to disk.
void LogSink::note_arrival(int rank, std::uint64_t offset) {
  const std::int64_t now = m_now_unix();
  auto noted = m_last_arrival_noted.find(rank);
  if (noted != m_last_arrival_noted.end() && noted->second == now) return;
  m_last_arrival_noted[rank] = now;
  const auto path = arrivals_for(rank);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream(path, std::ios::app) << offset << " " << now << "\n";  // best effort: the log itself is what matters
}

std::vector<std::pair<std::uint64_t, std::int64_t>> LogSink::arrivals(int rank) const {
  std::vector<std::pair<std::uint64_t, std::int64_t>> records;
  std::ifstream in(arrivals_for(rank));
  unsigned long long offset = 0;
  long long when = 0;
  while (in >> offset >> when) {
    // Sorted by construction; a record out of order (a damaged file) is skipped.
    if (!records.empty() && offset < records.back().first) continue;
    records.emplace_back(offset, when);
  }
  return records;
}

void LogSink::echo_lines(int rank, std::string_view data, std::uint64_t at,
                         const std::function<std::optional<std::int64_t>(std::uint64_t)>& time_of) {
  if (!m_echo && !m_line_hook) return;
  Partial& partial = m_partial[rank];
  if (partial.text.empty()) partial.start = at;
  partial.text.append(data);
  std::size_t start = 0;
  for (std::size_t newline; (newline = partial.text.find('\n', start)) != std::string::npos; start = newline + 1) {
    const std::string_view line = std::string_view(partial.text).substr(start, newline - start);
    show(rank, line, time_of(partial.start + newline));
  }
  partial.text.erase(0, start);
  partial.start += start;
  if (!partial.text.empty()) partial.arrived = time_of(partial.start + partial.text.size() - 1);
  if (m_echo) m_echo->flush();
}

void LogSink::show(int rank, std::string_view line, std::optional<std::int64_t> arrived) {
  const int node = rank / m_slots_per_node;
  if (m_echo && (m_show_metrics || !is_metrics_line(line)) && (!m_filter || m_filter(node, rank, line, arrived))) {
    *m_echo << render_log_line(node, rank, line, m_color) << "\n";
  }
  if (m_line_hook) m_line_hook(rank, strip_stderr_marker(line).first);
}

void LogSink::echo_held() {
  const auto held = offsets();
  std::lock_guard lock(m_mutex);
  for (const auto& [rank, size] : held) {
    std::ifstream in(file_for(rank), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto records = arrivals(rank);
    echo_lines(rank, content, 0, [&records](std::uint64_t offset) { return arrival_at(records, offset); });
  }
}

void LogSink::flush_partial_lines() {
  std::lock_guard lock(m_mutex);
  for (auto& [rank, partial] : m_partial) {
    if (partial.text.empty()) continue;
    show(rank, partial.text, partial.arrived);
    partial.start += partial.text.size();
    partial.text.clear();
  }
  if (m_echo) m_echo->flush();
}

std::map<int, std::uint64_t> LogSink::offsets() const {
  std::lock_guard lock(m_mutex);
  std::map<int, std::uint64_t> result;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(m_dir, ec)) {
    int rank = -1;
    // "rank-<r>.log" exactly: not the arrivals directory, not a stray "rank-0.log.bak".
    if (std::sscanf(item.path().filename().c_str(), "rank-%d", &rank) == 1 && rank >= 0 &&
        item.path().filename() == "rank-" + std::to_string(rank) + ".log") {
      result[rank] = item.file_size(ec);
    }
  }
  return result;
}

}  // namespace choline::logs
