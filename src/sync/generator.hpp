#pragma once
// The receiver's generator (private to src/sync): on its own thread, for each entry of the
// sender's list as it arrives, makes directories and symlinks and asks for the files that are
// missing or differ, streaming the signature of the old copy, so requests flow back while the
// list is still coming.

#include <choline/sync/manifest.hpp>
#include <choline/sync/safe_dir.hpp>
#include <choline/sync/wire.hpp>
#include <choline/util/blocking_queue.hpp>

#include "request_ledger.hpp"

#include <cstdint>
#include <string>

namespace choline::sync {

// The list lives in a deque on the main thread (appending never moves its elements); the
// generator gets a pointer to each entry, not a copy.
struct QueuedEntry {
  std::uint64_t index;
  const FileEntry* entry;
};
using EntryQueue = util::BlockingQueue<QueuedEntry>;

class Generator {
 public:
  Generator(SafeRoot root, FrameWriter& writer, RequestLedger& ledger, EntryQueue& queue)
      : m_root(std::move(root)), m_writer(writer), m_ledger(ledger), m_queue(queue) {}

  // Handles entries until the queue is closed and drained, then sends REQS_END. Per-entry
  // problems go to the ledger's errors; only a failing stream is returned.
  Status run();

 private:
  Status handle(std::uint64_t index, const FileEntry& entry);
  void make_directory(int dir_fd, const FileEntry& entry, const std::string& name);
  void make_symlink(int dir_fd, const FileEntry& entry, const std::string& name);
  Status request_file(int dir_fd, std::uint64_t index, const FileEntry& entry, const std::string& name);
  Status request_delta(int dir_fd, std::uint64_t index, const FileEntry& entry, const std::string& name);

  SafeRoot m_root;
  FrameWriter& m_writer;
  RequestLedger& m_ledger;
  EntryQueue& m_queue;
};

}  // namespace choline::sync
