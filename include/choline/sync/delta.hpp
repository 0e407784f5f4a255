#pragma once
// librsync, wrapped as push-style streams: each stage takes chunks as they come off the wire
// and hands its output to a sink, so nothing holds a whole file or signature twice in memory.
// Signatures use RabinKarp + BLAKE2 at the full strong-sum length (the peer is untrusted).

#include <choline/error.hpp>
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

// Streams the signature of the `size`-byte file open at `fd` into `sink`.
Status generate_signature(int fd, std::uint64_t size, const ChunkSink& sink);

// Loads a signature that arrives in chunks, then indexes it for delta generation.
class SignatureLoader {
 public:
  SignatureLoader();
  ~SignatureLoader();
  SignatureLoader(const SignatureLoader&) = delete;
  SignatureLoader& operator=(const SignatureLoader&) = delete;

  Status feed(std::string_view chunk);
  // Ends the input and builds the hash table. Fails on a malformed signature.
  Status finish();
  rs_signature* signature() const { return m_signature; }

 private:
  // Declared before m_job: librsync stores into it when the job is created.
  rs_signature* m_signature = nullptr;
  struct Job;
  std::unique_ptr<Job> m_job;
};

struct DeltaResult {
  std::uint64_t literal_bytes = 0;  // new data carried in the delta
  std::uint64_t matched_bytes = 0;  // data the receiver copies from its old file
  std::uint64_t size = 0;           // bytes of source read
  std::string hash;                 // Hash128 digest of what was read
};

// Reads the file at `fd` to its end and streams a delta against `signature` into `sink`.
Result<DeltaResult> generate_delta(rs_signature* signature, int fd, const ChunkSink& sink);

// Applies a delta that arrives in chunks to the basis file at `basis_fd`, writing to `out_fd`.
// Output beyond `max_output` bytes is a protocol error (a hostile delta cannot fill the disk).
class Patcher {
 public:
  Patcher(int basis_fd, int out_fd, std::uint64_t max_output);
  ~Patcher();
  Patcher(const Patcher&) = delete;
  Patcher& operator=(const Patcher&) = delete;

  Status feed(std::string_view chunk);
  Status finish();
  std::uint64_t written() const { return m_written; }
  std::string hash() const { return m_hash.digest(); }

 private:
  Status write_output(std::string_view out);
  struct Job;
  std::unique_ptr<Job> m_job;
  int m_basis_fd;
  int m_out_fd;
  std::uint64_t m_max_output;
  std::uint64_t m_written = 0;
  util::Hash128 m_hash;
};

}  // namespace choline::sync
