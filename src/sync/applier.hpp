#pragma once
// The receiver's applier (private to src/sync): on the main thread, turns FILE_BEGIN, DATA and
// FILE_END into verified files in place. A file is written to a temp file beside its place,
// checked (size and hash) and renamed over the old copy; small files are made durable in
// batches with one syncfs.

#include <choline/sync/delta.hpp>
#include <choline/sync/manifest.hpp>
#include <choline/sync/safe_dir.hpp>
#include <choline/sync/wire.hpp>
#include <choline/util/hash.hpp>

#include "request_ledger.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace choline::sync {

// The file being received, and a received small file waiting for its batch commit.
// At namespace scope: clang cannot default-construct a nested class with member initializers
// inside std::optional before the enclosing class is complete.
struct IncomingFile {
  std::uint64_t index = 0;
  TransferKind kind = TransferKind::whole;
  std::string dir, name, temp;
  DirRef dir_ref;  // keeps the directory open while the file is written
  int dir_fd = -1;
  int out_fd = -1;
  int basis_fd = -1;
  std::unique_ptr<Patcher> patcher;
  util::Hash128 hash;
  std::uint64_t written = 0;
  std::uint64_t writeback_from = 0;
  std::optional<std::string> failed;
};

struct PendingFile {
  std::string dir, temp, name;
  std::uint64_t index;
};

class Applier {
 public:
  Applier(SafeRoot root, const std::deque<FileEntry>& entries, RequestLedger& ledger, FrameWriter& writer)
      : m_root(std::move(root)), m_entries(entries), m_ledger(ledger), m_writer(writer) {}
  ~Applier() { discard(); }
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  // Each fails only on a protocol violation; a file that cannot be written is recorded in the
  // ledger's errors and skipped.
  Status begin(std::uint64_t index, TransferKind kind);
  Status data(std::string_view chunk);
  Status end(std::uint64_t size, const std::string& hash);
  Status abort(std::uint64_t index, const std::string& why);

  // Makes the pending small files durable with one syncfs, then renames them into place.
  Status commit();
  // Removes every temp file not yet in place (on a fatal error).
  void discard();

  std::uint64_t transferred() const { return m_transferred; }
  // Between FILE_BEGIN and FILE_END (or the end of a failed file).
  bool in_file() const { return m_current.has_value(); }
  SafeRoot& root() { return m_root; }

 private:
  Status keepalive();
  // Marks the current file failed; its remaining data is read and dropped. Per-file failures
  // never end the transfer, hence the (successful) Status for `return burn(...)`.
  void mark_failed(const std::string& why);
  Status burn(const std::string& why);
  Status check_disk_space(std::uint64_t size) const;
  void start_writeback(IncomingFile& file, std::uint64_t written);
  Status move_into_place(const FileEntry& entry);
  void close_current_fds();
  void finish_failed();

  SafeRoot m_root;
  const std::deque<FileEntry>& m_entries;
  RequestLedger& m_ledger;
  FrameWriter& m_writer;  // shared with the generator (FrameWriter is thread-safe): keepalives
  std::optional<IncomingFile> m_current;
  std::vector<PendingFile> m_pending;
  std::uint64_t m_pending_bytes = 0;
  std::uint64_t m_transferred = 0;
  std::uint64_t m_temp_counter = 0;
};

}  // namespace choline::sync
