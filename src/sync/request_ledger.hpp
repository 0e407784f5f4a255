#pragma once
// What the receiver's two threads share (private to src/sync): the files the generator asked
// for and the sender has not answered yet, and the per-file errors of both threads.

#include <choline/sync/protocol.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace choline::sync {

class RequestLedger {
 public:
  // Generator: the sender may now send `index`, as `kind`.
  void record_request(std::uint64_t index, TransferKind kind) {
    std::lock_guard lock(m_mutex);
    m_requested[index] = kind;
  }

  // FILE_BEGIN: true if `index` was asked for as `kind` and not answered yet; it is answered now.
  bool answer(std::uint64_t index, TransferKind kind) {
    std::lock_guard lock(m_mutex);
    const auto it = m_requested.find(index);
    if (it == m_requested.end() || it->second != kind) return false;
    m_requested.erase(it);
    return true;
  }

  // FILE_ABORT: true if `index` was asked for (either way) and not answered yet.
  bool answer_any(std::uint64_t index) {
    std::lock_guard lock(m_mutex);
    return m_requested.erase(index) != 0;
  }

  // `path` comes from the peer: printed escaped (a name can carry terminal escape sequences).
  void add_error(const std::string& path, const std::string& why) {
    const std::string line = util::printable(path) + ": " + why;
    std::lock_guard lock(m_mutex);
    spdlog::warn("sync: {}", line);
    if (m_errors.size() < k_max_report_errors) m_errors.push_back(line);
  }

  std::vector<std::string> errors() const {
    std::lock_guard lock(m_mutex);
    return m_errors;
  }

 private:
  mutable std::mutex m_mutex;
  std::map<std::uint64_t, TransferKind> m_requested;
  std::vector<std::string> m_errors;
};

}  // namespace choline::sync
