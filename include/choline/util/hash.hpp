#pragma once
// Fast whole-file content hashes (XXH3-128): they verify that a patched file is byte-identical
// to the source. Not a security boundary: a hostile peer controls the content anyway.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace choline::util {

class Hash128 {
 public:
  Hash128();
  ~Hash128();
  Hash128(const Hash128&) = delete;
  Hash128& operator=(const Hash128&) = delete;

  void update(const void* data, std::size_t size);
  // The 16-byte canonical (big-endian) digest.
  std::string digest() const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Hex form of a binary digest, for messages.
std::string to_hex(std::string_view bytes);

}  // namespace choline::util
