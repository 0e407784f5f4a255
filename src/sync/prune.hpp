#pragma once
// What the receiver does to its tree once every file is in (private to src/sync): directory
// modes, then the deletion rescan.

#include <choline/sync/manifest.hpp>
#include <choline/sync/protocol.hpp>
#include <choline/sync/safe_dir.hpp>

#include "request_ledger.hpp"

#include <cstdint>
#include <deque>
#include <filesystem>

namespace choline::sync {

// Gives each listed directory its mode. Last, because a read-only directory mode would stop the
// transfer from writing into it.
void apply_directory_modes(SafeRoot& safe, const std::deque<FileEntry>& entries);

// Removes what the receiver has and the sender did not list, except ignored paths (they are
// protected, as in rsync: a host's outputs under an ignored directory survive a push). Called
// only when this side asked for deletion: the sender has no say in it. Returns how many entries
// were deleted; what could not be is recorded in the ledger's errors.
std::uint64_t delete_extraneous(const std::filesystem::path& root, SafeRoot& safe, const std::deque<FileEntry>& entries,
                                const SyncOptions& options, RequestLedger& ledger);

}  // namespace choline::sync
