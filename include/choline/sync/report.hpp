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
// line saying how many more there were (errors_omitted included).
std::string encode_report(const SyncStats& stats);

// Decodes a REPORT payload. A truncated or oversized payload is a protocol error; the errors
// are the peer's words, so each is escaped (util::printable).
Result<Report> decode_report(std::string_view payload);

// What the sender had done when the receiver's report arrived.
struct SenderAccount {
  bool requests_ended = false;      // the receiver's REQS_END had come
  bool answered_all = false;        // every request had been answered (DONE was going out)
  std::uint64_t files_sent = 0;     // files sent to their FILE_END
  std::uint64_t files_aborted = 0;  // requests answered with FILE_ABORT
};

// A report is the receiver's word on what it wrote, and the sender's only view of the far
// side: one that cannot be true is a protocol error naming the receiver, never a success. It
// cannot come before the receiver finished asking or before every request was answered, count
// more files written than were sent, or be clean (no error) while a file sent or aborted is not
// counted written. (A stand-in agent that answered REPORT at once made a push print "up to
// date" with nothing written.)
Status check_report(const Report& report, const SenderAccount& account);

// One JSON object (the --stats output).
std::string stats_to_json(const SyncStats& stats);

}  // namespace choline::sync
