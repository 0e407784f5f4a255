#pragma once
// A zip reader: the central directory (zip64 included), members stored or deflated, each
// checked against its CRC-32 and announced size. Unix modes and symlinks come from the
// external attributes when the archive was made on Unix.

#include <choline/agent/byte_source.hpp>
#include <choline/agent/tar_reader.hpp>
#include <choline/error.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace choline::agent {

struct ZipMember {
  ArchiveMember member;      // size: the uncompressed size
  std::uint16_t method = 0;  // 0 stored, 8 deflate
  std::uint64_t compressed_size = 0;
  std::uint64_t local_header_offset = 0;
  std::uint32_t crc32 = 0;
};

// The central directory more members than this lists is refused.
inline constexpr std::uint64_t k_max_zip_members = 5'000'000;

// ---- Pure ----

// Where the end-of-central-directory record starts in `tail` (the file's last bytes), or an
// error when there is none.
Result<std::size_t> find_zip_end_record(std::string_view tail);

// The members listed in `directory` (the central directory's bytes). Symlinks carry their
// target as data: the extractor reads it with open_zip_member.
Result<std::vector<ZipMember>> parse_zip_directory(std::string_view directory, std::uint64_t count);

// ---- Reading ----

class ZipReader {
 public:
  // Opens `path` and reads its central directory.
  static Result<ZipReader> open(const std::string& path);
  const std::vector<ZipMember>& members() const { return m_members; }
  // The uncompressed content of `member`, checked against its size and CRC-32 as it is read
  // (the error comes with the last bytes).
  Result<std::unique_ptr<ByteSource>> open_member(const ZipMember& member) const;

 private:
  ZipReader(std::string path, std::uint64_t size, std::vector<ZipMember> members)
      : m_path(std::move(path)), m_size(size), m_members(std::move(members)) {}
  std::string m_path;
  std::uint64_t m_size = 0;
  std::vector<ZipMember> m_members;
};

}  // namespace choline::agent
