#include <choline/run/log_sink.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>

namespace choline::run {

LogSink::LogSink(std::filesystem::path dir, std::ostream* echo, int slots_per_node)
    : m_dir(std::move(dir)), m_echo(echo), m_slots_per_node(std::max(1, slots_per_node)) {
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
  echo_lines(rank, data);
  return {};
}

void LogSink::echo_lines(int rank, std::string_view data) {
  if (!m_echo && !m_line_hook) return;
  std::string& partial = m_partial[rank];
  partial.append(data);
  std::size_t start = 0;
  for (std::size_t newline; (newline = partial.find('\n', start)) != std::string::npos; start = newline + 1) {
    const std::string_view line = std::string_view(partial).substr(start, newline - start);
    if (m_echo) *m_echo << "[" << rank / m_slots_per_node << "/" << rank << "] " << line << "\n";
    if (m_line_hook) m_line_hook(rank, line);
  }
  partial.erase(0, start);
  if (m_echo) m_echo->flush();
}

void LogSink::echo_held() {
  const auto held = offsets();
  std::lock_guard lock(m_mutex);
  for (const auto& [rank, size] : held) {
    std::ifstream in(file_for(rank), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    echo_lines(rank, content);
  }
}

void LogSink::flush_partial_lines() {
  std::lock_guard lock(m_mutex);
  for (auto& [rank, partial] : m_partial) {
    if (partial.empty()) continue;
    if (m_echo) *m_echo << "[" << rank / m_slots_per_node << "/" << rank << "] " << partial << "\n";
    if (m_line_hook) m_line_hook(rank, partial);
    partial.clear();
  }
  if (m_echo) m_echo->flush();
}

std::map<int, std::uint64_t> LogSink::offsets() const {
  std::lock_guard lock(m_mutex);
  std::map<int, std::uint64_t> result;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(m_dir, ec)) {
    int rank = -1;
    if (std::sscanf(item.path().filename().c_str(), "rank-%d.log", &rank) == 1 && rank >= 0) {
      result[rank] = item.file_size(ec);
    }
  }
  return result;
}

}  // namespace choline::run
