#pragma once
// Every bound on what a peer may make the laptop hold, write or do, in one place. A rented host
// is a stranger's machine: each number here caps something it controls (a length, a count, a
// nesting depth, a volume) so that nothing it sends can exhaust memory, disk, file handles, the
// stack or the upload link, or hold a stream forever. The README's threat model lists them.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace choline::limits {

// --- framing ------------------------------------------------------------------------------
// One protocol frame (sync, log stream). Checked before the payload is allocated.
inline constexpr std::size_t k_max_frame_payload = 1 << 20;  // 1 MiB

// --- JSON from hosts and from disk ----------------------------------------------------------
// nlohmann's parser is iterative, but copying, dumping and comparing a value recurse once per
// level: a 280 KB state frame nested 140,000 deep overflowed the stack. Nothing choline writes
// or reads is nested more than a handful of levels.
inline constexpr std::size_t k_max_json_depth = 64;
// A JSON document read from disk (run.json, checkpoints.json, choline.json).
inline constexpr std::size_t k_max_json_file = 64 << 20;  // 64 MiB
// A `choline-metrics: {json}` line in a worker's log: its size and nesting.
inline constexpr std::size_t k_max_metrics_line = 16 * 1024;
inline constexpr std::size_t k_max_metrics_depth = 8;

// --- the file list ----------------------------------------------------------------------------
inline constexpr std::size_t k_max_path_length = 4096;
inline constexpr std::uint64_t k_max_entries = 5'000'000;
inline constexpr std::uint32_t k_max_entries_per_frame = 100'000;
// Memory the receiver spends on the sender's list: paths, link targets and a fixed cost per
// entry (the struct and its bookkeeping). 5 million entries with 60-byte paths fit; a peer
// that sends 300 MiB of long names is refused instead of being held (twice) in memory.
inline constexpr std::uint64_t k_max_entry_list_bytes = 1ull << 30;  // 1 GiB
inline constexpr std::uint64_t k_entry_overhead_bytes = 96;
inline constexpr std::size_t k_max_ignore_patterns = 10'000;
// An ignore file this large is not a list of patterns (it may have been planted by a host).
inline constexpr std::size_t k_max_ignore_file_bytes = 1 << 20;
// Directory handles a receiver keeps open between files (least recently used closed first).
inline constexpr std::size_t k_cached_dirs = 64;

// --- file contents --------------------------------------------------------------------------
inline constexpr std::uint64_t k_max_file_size = 1ull << 42;  // 4 TiB
// The receiver keeps at least this much of its disk free: a file whose announced size would
// eat into it is refused before a byte is written (a host cannot fill the laptop's disk).
inline constexpr std::uint64_t k_min_free_disk_bytes = 256ull << 20;  // 256 MiB
// A delta may copy from the receiver's old copy at most this many times its size (plus a
// little): a legitimate delta copies each old block about once; a 32 KB hostile delta that
// copies one block 2,000 times would otherwise write 64 MiB.
inline constexpr std::uint64_t k_max_delta_copy_factor = 2;
inline constexpr std::uint64_t k_delta_copy_slack_bytes = 1 << 20;

// --- signatures (a receiver's description of its old copy) ----------------------------------
// A signature of a B-byte file is about 36 * sqrt(B) bytes (about 75 MB for 4 TiB). One that
// is larger than this is useless for a delta: the sender drops it and sends the file as
// literal data instead, so a 300 MB signature for a 1 MiB file costs nothing to hold.
inline constexpr std::uint64_t k_min_signature_budget = 1 << 20;     // 1 MiB for any file
inline constexpr std::uint64_t k_signature_budget_divisor = 8;      // or 1/8 of the file
inline constexpr std::uint64_t k_max_signature_bytes = 128ull << 20;  // never more than 128 MiB
// Signatures received and not yet answered: past this, the sender stops reading requests
// until it has answered some (TCP pushes back on the receiver).
inline constexpr std::uint64_t k_max_queued_signature_bytes = 64ull << 20;

// --- data staging -------------------------------------------------------------------------
// A status line of the agent's data verbs ("have 12 3400", "progress ..."): a word and numbers.
inline constexpr std::size_t k_max_agent_status_line = 4096;

// --- reports ------------------------------------------------------------------------------
inline constexpr std::size_t k_max_report_errors = 1000;
inline constexpr std::size_t k_max_error_message = 8192;

// --- time -----------------------------------------------------------------------------------
// A sync stream on which nothing moved in either direction for this long is given up.
inline constexpr std::chrono::seconds k_default_idle_timeout{120};
// A side busy with local work (hashing or patching a large file) sends a keepalive frame this
// often, so its peer's idle timeout measures a dead peer, not a busy one.
inline constexpr std::chrono::seconds k_keepalive_every{10};
// After a fatal error, how long a side waits for its other thread to finish on its own (a
// cooperative peer) before aborting the stream under it (a peer that stopped reading).
inline constexpr std::chrono::seconds k_shutdown_grace{5};

}  // namespace choline::limits
