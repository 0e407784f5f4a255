#include <choline/sync/wire.hpp>

#include <cstring>

namespace choline::sync {

Encoder& Encoder::u8(std::uint8_t v) {
  m_bytes.push_back(static_cast<char>(v));
  return *this;
}

Encoder& Encoder::u32(std::uint32_t v) {
  for (int i = 0; i < 4; ++i) m_bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return *this;
}

Encoder& Encoder::u64(std::uint64_t v) {
  for (int i = 0; i < 8; ++i) m_bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return *this;
}

Encoder& Encoder::str(std::string_view s) {
  u32(static_cast<std::uint32_t>(s.size()));
  m_bytes.append(s);
  return *this;
}

Encoder& Encoder::raw(std::string_view s) {
  m_bytes.append(s);
  return *this;
}

Status Decoder::need(std::size_t n) const {
  if (m_bytes.size() - m_at < n) return make_error(ErrorKind::protocol, "truncated message from peer");
  return {};
}

Result<std::uint8_t> Decoder::u8() {
  if (auto ok = need(1); !ok) return ok.error();
  return static_cast<std::uint8_t>(m_bytes[m_at++]);
}

Result<std::uint32_t> Decoder::u32() {
  if (auto ok = need(4); !ok) return ok.error();
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(m_bytes[m_at++])) << (8 * i);
  return v;
}

Result<std::uint64_t> Decoder::u64() {
  if (auto ok = need(8); !ok) return ok.error();
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(m_bytes[m_at++])) << (8 * i);
  return v;
}

Result<std::int64_t> Decoder::i64() {
  auto v = u64();
  if (!v) return v.error();
  return static_cast<std::int64_t>(*v);
}

Result<std::string> Decoder::str(std::size_t max_length) {
  auto length = u32();
  if (!length) return length.error();
  if (*length > max_length) {
    return make_error(ErrorKind::protocol, "string of " + std::to_string(*length) + " bytes from peer exceeds the limit of " +
                                               std::to_string(max_length));
  }
  if (auto ok = need(*length); !ok) return ok.error();
  std::string s(m_bytes.substr(m_at, *length));
  m_at += *length;
  return s;
}

Status Decoder::finish(const char* what) const {
  if (!at_end()) return make_error(ErrorKind::protocol, std::string("trailing bytes after ") + what + " from peer");
  return {};
}

Status FrameWriter::write(std::uint8_t type, std::string_view payload) {
  if (payload.size() > k_max_frame_payload) {
    return make_error(ErrorKind::internal, "frame of " + std::to_string(payload.size()) + " bytes exceeds the limit");
  }
  char header[5];
  header[0] = static_cast<char>(type);
  const auto length = static_cast<std::uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) header[1 + i] = static_cast<char>((length >> (8 * i)) & 0xff);
  std::lock_guard lock(m_mutex);
  m_buffer.append(header, sizeof header);
  m_buffer.append(payload);
  if (m_buffer.size() >= k_flush_at) return flush_locked();
  return {};
}

Status FrameWriter::flush() {
  std::lock_guard lock(m_mutex);
  return flush_locked();
}

Status FrameWriter::flush_locked() {
  if (m_buffer.empty()) return {};
  auto ok = m_stream.write_all(m_buffer.data(), m_buffer.size());
  m_total += m_buffer.size();
  m_buffer.clear();
  m_last_sent = std::chrono::steady_clock::now();
  return ok;
}

Status FrameWriter::keepalive_if_due(std::uint8_t keepalive_type) {
  {
    std::lock_guard lock(m_mutex);
    if (std::chrono::steady_clock::now() - m_last_sent < limits::k_keepalive_every) return {};
  }
  if (auto ok = write(keepalive_type, {}); !ok) return ok;
  return flush();
}

std::uint64_t FrameWriter::bytes_written() const {
  std::lock_guard lock(m_mutex);
  return m_total;
}

Status FrameReader::fill(std::size_t need) {
  if (m_at > 0 && m_at == m_buffer.size()) {
    m_buffer.clear();
    m_at = 0;
  }
  while (m_buffer.size() - m_at < need) {
    if (m_at > (1 << 20)) {
      m_buffer.erase(0, m_at);
      m_at = 0;
    }
    const std::size_t old = m_buffer.size();
    const std::size_t want = std::max<std::size_t>(need - (old - m_at), 256 * 1024);
    m_buffer.resize(old + want);
    auto n = m_stream.read_some(m_buffer.data() + old, want);
    if (!n) {
      m_buffer.resize(old);
      return n.error();
    }
    m_buffer.resize(old + *n);
    m_total += *n;
    if (*n == 0) {
      const std::string tail = m_stream.stderr_tail();
      return make_error(ErrorKind::remote, "the peer closed the connection unexpectedly" +
                                               (tail.empty() ? std::string() : ": " + tail));
    }
  }
  return {};
}

Result<Frame> FrameReader::read() {
  if (auto ok = fill(5); !ok) return ok.error();
  Frame frame;
  frame.type = static_cast<std::uint8_t>(m_buffer[m_at]);
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length |= static_cast<std::uint32_t>(static_cast<unsigned char>(m_buffer[m_at + 1 + i])) << (8 * i);
  if (length > k_max_frame_payload) {
    return make_error(ErrorKind::protocol, "frame of " + std::to_string(length) + " bytes from peer exceeds the limit of " +
                                               std::to_string(k_max_frame_payload));
  }
  if (auto ok = fill(5 + length); !ok) return ok.error();
  frame.payload.assign(m_buffer, m_at + 5, length);
  m_at += 5 + length;
  return frame;
}

}  // namespace choline::sync
