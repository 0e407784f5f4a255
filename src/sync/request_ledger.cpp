#include "request_ledger.hpp"

#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

namespace choline::sync {

void RequestLedger::record_request(std::uint64_t index, TransferKind kind) {
  std::lock_guard lock(m_mutex);
  m_requested[index] = kind;
}

bool RequestLedger::answer(std::uint64_t index, TransferKind kind) {
  std::lock_guard lock(m_mutex);
  const auto it = m_requested.find(index);
  if (it == m_requested.end() || it->second != kind) return false;
  m_requested.erase(it);
  return true;
}

bool RequestLedger::answer_any(std::uint64_t index) {
  std::lock_guard lock(m_mutex);
  return m_requested.erase(index) != 0;
}

Status RequestLedger::check_all_answered(const std::deque<FileEntry>& entries) const {
  std::lock_guard lock(m_mutex);
  if (m_requested.empty()) return {};
  const std::uint64_t first = m_requested.begin()->first;
  const std::string name = first < entries.size() ? util::printable(entries[first].path) : std::to_string(first);
  return make_error(ErrorKind::protocol, "the sender ended the sync with " + std::to_string(m_requested.size()) +
                                             " requested file(s) neither sent nor aborted (first: " + name +
                                             "), so they were not written: sync again");
}

void RequestLedger::add_error(const std::string& path, const std::string& why) {
  const std::string line = util::printable(path) + ": " + why;
  std::lock_guard lock(m_mutex);
  if (m_errors.size() >= k_max_report_errors) {
    ++m_omitted;
    return;
  }
  spdlog::warn("sync: {}", line);
  m_errors.push_back(line);
}

void RequestLedger::log_omitted() const {
  std::lock_guard lock(m_mutex);
  if (m_omitted > 0)
    spdlog::warn("sync: ... and {} more errors (only the first {} are shown)", m_omitted, m_errors.size());
}

std::vector<std::string> RequestLedger::errors() const {
  std::lock_guard lock(m_mutex);
  return m_errors;
}

std::uint64_t RequestLedger::errors_omitted() const {
  std::lock_guard lock(m_mutex);
  return m_omitted;
}

}  // namespace choline::sync
