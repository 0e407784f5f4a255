#pragma once
// The sync protocol, one-way from a sender to a receiver, spoken over any Stream (rsync's
// shape). The sender's file list streams first; the receiver answers, as the list arrives,
// with a request per file it needs (whole, or a delta against the librsync signature of its
// copy); the sender answers each request with data. Requests and data flow at the same time on
// the two directions of the stream, so a transfer is never one round trip per file.
//
//   S->R  HELLO         magic, version
//   S->R  ENTRIES*      batches of FileEntry
//   S->R  ENTRIES_END
//   R->S  REQ_WHOLE i | REQ_DELTA i SIG* SIG_END        (any number, in entry order)
//   R->S  REQS_END
//   S->R  FILE_BEGIN i kind, DATA*, FILE_END size hash  (or FILE_ABORT reason)
//   S->R  DONE          literal and matched byte totals
//   R->S  REPORT        transferred, deleted, per-file errors
//   either ERROR        a fatal error; the other side stops
//   either KEEPALIVE    "busy, not dead" during long local work; ignored
//
// Neither end takes the other's word: DONE with a request neither sent nor aborted, or inside a
// file, fails the receiver; a REPORT before REQS_END or before every request was answered, or
// whose counts contradict what was sent (check_report, report.hpp), fails the sender.

#include <choline/error.hpp>
#include <choline/limits.hpp>
#include <choline/sync/manifest.hpp>
#include <choline/sync/wire.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace choline::sync {

inline constexpr std::string_view k_protocol_magic = "choline-sync";
// 2: HELLO no longer carries the delete flag and ignore patterns (each side decides its own).
inline constexpr std::uint32_t k_protocol_version = 2;
inline constexpr std::uint64_t k_max_entries = limits::k_max_entries;
inline constexpr std::uint64_t k_max_file_size = limits::k_max_file_size;
inline constexpr std::size_t k_max_report_errors = limits::k_max_report_errors;

enum class Msg : std::uint8_t {
  hello = 1,
  entries = 2,
  entries_end = 3,
  req_whole = 10,
  req_delta = 11,
  sig = 12,
  sig_end = 13,
  reqs_end = 14,
  file_begin = 20,
  data = 21,
  file_end = 22,
  file_abort = 23,
  done = 30,
  report = 31,
  error = 40,
  keepalive = 41,
};

enum class TransferKind : std::uint8_t { whole = 1, delta = 2 };

// What a sync has moved so far, for progress lines (SyncOptions::progress).
struct SyncProgress {
  std::uint64_t files_done = 0;    // files whose content moved
  std::uint64_t bytes_done = 0;    // sender: file bytes sent; receiver: bytes received on the stream
  std::uint64_t files_wanted = 0;  // sender: files asked for so far (grows while requests come); receiver: 0
  std::uint64_t bytes_wanted = 0;  // sender: the sizes of those files; receiver: 0
};

// One side's own choices. None of them crosses the wire: the receiver alone decides what it
// deletes (a host pulled from must never decide what the laptop deletes), and each side applies
// its own ignore patterns (the sender to what it offers, the receiver to what it keeps).
struct SyncOptions {
  bool delete_extraneous = false;         // receiver: remove files the sender does not have
  std::vector<std::string> extra_ignore;  // patterns on top of .gitignore/.cholineignore
  IgnoreFiles ignore_files = IgnoreFiles::git_and_choline;  // which of those the scans read
  // Sender: send exactly this list (a scan of the root made earlier, e.g. the one a data entry's
  // digest covers) instead of scanning the root again.
  std::shared_ptr<const std::vector<FileEntry>> entries;
  // Give up when nothing moved on the stream for this long (zero: never).
  std::chrono::milliseconds idle_timeout = limits::k_default_idle_timeout;
  // Receiver: memory the sender's file list may take (names + a fixed cost per entry).
  std::uint64_t max_entry_list_bytes = limits::k_max_entry_list_bytes;
  // Called on the sync's thread after every data chunk and file, so it must be cheap; this
  // side only (never sent to the peer).
  std::function<void(const SyncProgress&)> progress;
};

struct SyncStats {
  std::uint64_t files_total = 0;        // entries in the sender's list
  std::uint64_t files_transferred = 0;  // files whose content moved
  std::uint64_t files_deleted = 0;
  std::uint64_t bytes_literal = 0;  // file bytes carried as data
  std::uint64_t bytes_matched = 0;  // file bytes rebuilt from the receiver's old copy
  std::uint64_t bytes_sent = 0;     // on the stream, by this side
  std::uint64_t bytes_received = 0;
  double seconds = 0;
  std::vector<std::string> errors;  // per-file failures ("path: why"); the rest still synced
  // Receiver: per-file failures past limits::k_max_report_errors, counted but not kept.
  std::uint64_t errors_omitted = 0;
};

std::string encode_hello();
// Checks the magic and the version; anything else in the frame is a protocol error.
Status decode_hello(std::string_view payload);

void encode_entry(Encoder& out, const FileEntry& entry);
// Decodes one entry. Checks types and sizes; path safety is the receiver's job per entry, so
// one bad path is reported as that entry's error instead of ending the transfer.
Result<FileEntry> decode_entry(Decoder& in);

std::string encode_error(std::string_view message);

}  // namespace choline::sync
