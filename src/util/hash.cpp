#include <choline/util/hash.hpp>

#include <xxhash.h>

namespace choline::util {

struct Hash128::State {
  XXH3_state_t* state = XXH3_createState();
  ~State() { XXH3_freeState(state); }
};

Hash128::Hash128() : m_state(std::make_unique<State>()) { XXH3_128bits_reset(m_state->state); }
Hash128::~Hash128() = default;

void Hash128::update(const void* data, std::size_t size) { XXH3_128bits_update(m_state->state, data, size); }

std::string Hash128::digest() const {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(m_state->state));
  return std::string(reinterpret_cast<const char*>(canonical.digest), sizeof canonical.digest);
}

std::string to_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace choline::util
