#pragma once
// SHA-256 (FIPS 180-4), for checking downloads against the digest a user wrote down. The
// static agent links no crypto library, hence this small implementation of its own.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace choline::util {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  // The 32-byte digest. The object is spent afterwards (reset() to reuse it).
  std::string digest();
  void reset();

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> m_state{};
  std::array<std::uint8_t, 64> m_buffer{};
  std::size_t m_buffered = 0;
  std::uint64_t m_length = 0;  // bytes hashed so far
};

// The lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// True for 64 lowercase or uppercase hex digits.
bool is_sha256_hex(std::string_view text);

}  // namespace choline::util
