#pragma once
// What the receiver's two threads share (private to src/sync): the files the generator asked
// for and the sender has not answered yet, and the per-file errors of both threads. Every
// request must end answered (sent, or aborted with a reason) before the sender's DONE counts.

#include <choline/sync/manifest.hpp>
#include <choline/sync/protocol.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace choline::sync {

class RequestLedger {
 public:
  // Generator: the sender may now send `index`, as `kind`.
  void record_request(std::uint64_t index, TransferKind kind);

  // FILE_BEGIN: true if `index` was asked for as `kind` and not answered yet; it is answered now.
  bool answer(std::uint64_t index, TransferKind kind);

  // FILE_ABORT: true if `index` was asked for (either way) and not answered yet.
  bool answer_any(std::uint64_t index);

  // After DONE and the generator's end: an error naming the sender if any request was neither
  // sent nor aborted (a DONE that leaves files unanswered would report a sync that wrote
  // nothing as a success).
  Status check_all_answered(const std::deque<FileEntry>& entries) const;

  // Records a per-entry failure. `path` comes from the peer: kept and logged escaped (a name can
  // carry terminal escape sequences). The first k_max_report_errors are kept and logged as
  // warnings; the rest are only counted, so a sender listing 40,000 refused names cannot flood
  // the terminal or memory.
  void add_error(const std::string& path, const std::string& why);

  // One closing warning with the count of the errors past the cap (nothing if none were).
  void log_omitted() const;

  std::vector<std::string> errors() const;
  std::uint64_t errors_omitted() const;

 private:
  mutable std::mutex m_mutex;
  std::map<std::uint64_t, TransferKind> m_requested;
  std::vector<std::string> m_errors;
  std::uint64_t m_omitted = 0;
};

}  // namespace choline::sync
