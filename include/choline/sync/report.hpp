#pragma once
// The REPORT frame, the receiver's last word (what it wrote, deleted and could not write), one
// codec for both ends; and the --stats format of a sync's outcome.

#include <choline/error.hpp>
#include <choline/sync/protocol.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace choline::sync {

struct Report {
  std::uint64_t transferred = 0;
  std::uint64_t deleted = 0;
  std::vector<std::string> errors;  // escaped for the terminal
};

// Counts, and as many of the errors as fit in one frame (at most k_max_report_errors), then a
// line saying how many more there were; the full list is in the receiver's own stats.
std::string encode_report(const SyncStats& stats);

// Decodes a REPORT payload. A truncated or oversized payload is a protocol error; the errors
// are the peer's words, so each is escaped (util::printable).
Result<Report> decode_report(std::string_view payload);

// One JSON object (the --stats output).
std::string stats_to_json(const SyncStats& stats);

}  // namespace choline::sync
