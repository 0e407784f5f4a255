#pragma once
// librsync, wrapped as push-style streams: each stage takes chunks as they come off the wire
// and hands its output to a sink, so nothing holds a whole file or signature twice in memory.
// Signatures use RabinKarp + BLAKE2 at the full strong-sum length (the peer is untrusted).

#include <choline/error.hpp>
#include <choline/limits.hpp>
#include <choline/util/hash.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

struct rs_job;
struct rs_signature;

namespace choline::sync {

using ChunkSink = std::function<Status(std::string_view)>;
// Called between chunks of local work (a keepalive hook); its error stops the work.
using ProgressHook = std::function<Status()>;

// Streams the signature of the `size`-byte file open at `fd` into `sink`.
Status generate_signature(int fd, std::uint64_t size, const ChunkSink& sink, const ProgressHook& progress = {});

// Loads a signature that arrives in chunks, then indexes it for delta generation. A signature
// larger than `budget` bytes is dropped as it arrives (the receiver is a stranger, and no useful
// signature is that large: see limits.hpp); the delta is then all literal data.
class SignatureLoader {
 public:
  explicit SignatureLoader(std::uint64_t budget = limits::k_max_signature_bytes);
  ~SignatureLoader();
  SignatureLoader(const SignatureLoader&) = delete;
  SignatureLoader& operator=(const SignatureLoader&) = delete;

  Status feed(std::string_view chunk);
  // Ends the input and builds the hash table. Fails on a malformed signature.
  Status finish();
  // The loaded signature; an empty one (no blocks) when the signature was over budget.
  rs_signature* signature() const { return m_signature; }
  bool over_budget() const { return m_over_budget; }
  // Bytes held for this signature (what the sender's queue budget counts).
  std::uint64_t bytes() const { return m_over_budget ? 0 : m_bytes; }

 private:
  // Declared before m_job: librsync stores into it when the job is created.
  rs_signature* m_signature = nullptr;
  struct Job;
  std::unique_ptr<Job> m_job;
  std::uint64_t m_budget;
  std::uint64_t m_bytes = 0;
  bool m_over_budget = false;
};

// The budget for the signature of a receiver's old copy, given the size of the file the sender
// will send: a bigger signature costs more to hold than the delta could save.
std::uint64_t signature_budget(std::uint64_t file_size);

struct DeltaResult {
  std::uint64_t literal_bytes = 0;  // new data carried in the delta
  std::uint64_t matched_bytes = 0;  // data the receiver copies from its old file
  std::uint64_t size = 0;           // bytes of source read
  std::string hash;                 // Hash128 digest of what was read
};

// Reads the file at `fd` to its end and streams a delta against `signature` into `sink`.
Result<DeltaResult> generate_delta(rs_signature* signature, int fd, const ChunkSink& sink,
                                   const ProgressHook& progress = {});

// Applies a delta that arrives in chunks to the basis file at `basis_fd`, writing to `out_fd`.
// Output beyond `max_output` bytes, and copies from the basis beyond `max_copy` bytes in all, are
// protocol errors: a hostile delta can neither fill the disk nor turn a few bytes on the wire
// into gigabytes by copying one block over and over.
class Patcher {
 public:
  Patcher(int basis_fd, int out_fd, std::uint64_t max_output, std::uint64_t max_copy);
  ~Patcher();
  Patcher(const Patcher&) = delete;
  Patcher& operator=(const Patcher&) = delete;

  Status feed(std::string_view chunk);
  Status finish();
  // Called after each chunk written (a copy from the old file can be gigabytes for one command).
  void set_progress(ProgressHook progress) { m_progress = std::move(progress); }
  std::uint64_t written() const { return m_written; }
  std::string hash() const { return m_hash.digest(); }

 private:
  Status write_output(std::string_view out);
  Status check_copy_bound(Status status) const;
  struct Job;
  std::unique_ptr<Job> m_job;
  int m_basis_fd;
  int m_out_fd;
  std::uint64_t m_max_output;
  std::uint64_t m_max_copy;
  std::uint64_t m_copied = 0;
  bool m_copy_bound_hit = false;
  std::uint64_t m_written = 0;
  util::Hash128 m_hash;
  ProgressHook m_progress;
};

// The copy bound for a delta against an old copy of `basis_size` bytes (limits.hpp).
std::uint64_t copy_budget(std::uint64_t basis_size);

}  // namespace choline::sync
