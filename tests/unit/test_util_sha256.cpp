#include <choline/util/hash.hpp>
#include <choline/util/sha256.hpp>

#include <catch2/catch.hpp>

using namespace choline;

TEST_CASE("SHA-256 matches the FIPS 180-4 test vectors", "[util]") {
  CHECK(util::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(util::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(util::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(util::sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnop"
                         "qrsmnopqrstnopqrstu") == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(util::sha256_hex(std::string(1'000'000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 gives the same digest whatever the update sizes", "[util]") {
  std::string data;
  for (int i = 0; i < 5000; ++i) data += static_cast<char>(i * 7 + 3);
  const std::string whole = util::sha256_hex(data);
  for (std::size_t piece : {1u, 3u, 63u, 64u, 65u, 1000u}) {
    util::Sha256 hash;
    for (std::size_t at = 0; at < data.size(); at += piece)
      hash.update(data.data() + at, std::min(piece, data.size() - at));
    CHECK(util::to_hex(hash.digest()) == whole);
  }
  // 55 and 56 bytes straddle the length field's place in the last block.
  CHECK(util::sha256_hex(std::string(55, 'x')) != util::sha256_hex(std::string(56, 'x')));
}

TEST_CASE("sha256 hex digests are recognised", "[util]") {
  CHECK(util::is_sha256_hex(std::string(64, 'a')));
  CHECK(util::is_sha256_hex(std::string(64, 'F')));
  CHECK_FALSE(util::is_sha256_hex(std::string(63, 'a')));
  CHECK_FALSE(util::is_sha256_hex(std::string(63, 'a') + "g"));
}
