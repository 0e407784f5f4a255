#pragma once
// The two ends of a sync. Either end can run on either machine: push runs the sender here and
// `choline agent sync-recv` on the host; pull runs `choline agent sync-send` on the host and
// the receiver here.

#include <choline/sync/protocol.hpp>
#include <choline/sync/report.hpp>  // stats_to_json, for the callers that print stats
#include <choline/transport/transport.hpp>

#include <filesystem>

namespace choline::sync {

// Scans `root` and sends what the receiver at the other end of `stream` lacks. Returns the
// stats once the receiver has reported; per-file failures are listed in stats.errors, while a
// broken stream or a fatal error from the peer is an Error.
Result<SyncStats> run_sender(const std::filesystem::path& root, transport::Stream& stream, const SyncOptions& options);

// Receives into `root` (created if missing). Nothing the sender sends is written outside root:
// unsafe paths and symlinks are refused per entry, malformed frames end the transfer, files land
// only whole and verified (temp file, hash check, rename), and every size, count and volume the
// sender controls is bounded (limits.hpp). Deletion and the patterns that protect paths from it
// are this side's `options` alone.
Result<SyncStats> run_receiver(const std::filesystem::path& root, transport::Stream& stream,
                               const SyncOptions& options);

}  // namespace choline::sync
