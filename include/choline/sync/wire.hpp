#pragma once
// The sync protocol's framing: [type:u8][length:u32 LE][payload]. Every length that comes off
// the wire is checked against a limit before anything is allocated, because the peer may be a
// hostile host.

#include <choline/error.hpp>
#include <choline/limits.hpp>
#include <choline/transport/transport.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace choline::sync {

inline constexpr std::size_t k_max_frame_payload = limits::k_max_frame_payload;
inline constexpr std::size_t k_data_chunk = 256 * 1024;      // file data per DATA frame

struct Frame {
  std::uint8_t type = 0;
  std::string payload;
};

// Appends little-endian integers and length-prefixed strings.
class Encoder {
 public:
  Encoder& u8(std::uint8_t v);
  Encoder& u32(std::uint32_t v);
  Encoder& u64(std::uint64_t v);
  Encoder& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v)); }
  Encoder& str(std::string_view s);  // u32 length + bytes
  Encoder& raw(std::string_view s);
  const std::string& bytes() const { return m_bytes; }
  std::string take() { return std::move(m_bytes); }

 private:
  std::string m_bytes;
};

// Reads what Encoder wrote; every read is bounds-checked and a short or malformed payload is a
// protocol error, never a crash.
class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : m_bytes(bytes) {}
  // A Decoder only views its bytes: decoding a temporary would read freed memory.
  explicit Decoder(std::string&&) = delete;
  Result<std::uint8_t> u8();
  Result<std::uint32_t> u32();
  Result<std::uint64_t> u64();
  Result<std::int64_t> i64();
  Result<std::string> str(std::size_t max_length);
  bool at_end() const { return m_at == m_bytes.size(); }
  // Fails unless every byte was consumed: trailing garbage means a confused or hostile peer.
  Status finish(const char* what) const;

 private:
  Status need(std::size_t n) const;
  std::string_view m_bytes;
  std::size_t m_at = 0;
};

// Buffers frames and writes them to a stream; counts the bytes that went out. Two threads may
// write through one FrameWriter (frames go out whole, never interleaved).
class FrameWriter {
 public:
  explicit FrameWriter(transport::Stream& stream) : m_stream(stream), m_last_sent(std::chrono::steady_clock::now()) {}
  Status write(std::uint8_t type, std::string_view payload);
  // Sends what is buffered. Call before waiting on the peer, or the peer may wait on us.
  Status flush();
  // Sends a `keepalive_type` frame when nothing went out for limits::k_keepalive_every. Called
  // from long local work (hashing or patching a large file) so that the peer, which sees no
  // bytes meanwhile, does not take this side for dead.
  Status keepalive_if_due(std::uint8_t keepalive_type);
  std::uint64_t bytes_written() const;

 private:
  static constexpr std::size_t k_flush_at = 128 * 1024;
  Status flush_locked();
  transport::Stream& m_stream;
  mutable std::mutex m_mutex;
  std::string m_buffer;
  std::uint64_t m_total = 0;
  std::chrono::steady_clock::time_point m_last_sent;
};

// Reads frames from a stream through a buffer; counts the bytes that came in.
class FrameReader {
 public:
  explicit FrameReader(transport::Stream& stream) : m_stream(stream) {}
  // Returns the next frame; a protocol error for an oversized frame; a remote error naming the
  // peer's stderr when the stream ends mid-frame or before any frame where one was expected.
  Result<Frame> read();
  std::uint64_t bytes_read() const { return m_total; }

 private:
  Status fill(std::size_t need);
  transport::Stream& m_stream;
  std::string m_buffer;
  std::size_t m_at = 0;
  std::uint64_t m_total = 0;
};

}  // namespace choline::sync
