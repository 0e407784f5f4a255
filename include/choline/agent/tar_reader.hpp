#pragma once
// A tar reader: POSIX ustar, GNU long names and link names ('L', 'K', base-256 sizes) and pax
// extended headers (path, linkpath, size, mtime). It reports members as the archive names them;
// deciding what may be written where is the extractor's job (agent/archive.hpp).

#include <choline/agent/byte_source.hpp>
#include <choline/error.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace choline::agent {

struct ArchiveMember {
  enum class Type { file, directory, symlink, hardlink, other };
  std::string path;  // as the archive names it
  Type type = Type::file;
  std::uint32_t mode = 0644;  // permission bits
  std::uint64_t size = 0;     // content bytes (files)
  std::string link_target;    // symlinks and hard links
  std::int64_t mtime_s = 0;
};

// Extended headers larger than this are not names and sizes: refused.
inline constexpr std::size_t k_max_tar_extension_bytes = 1 << 20;

// ---- Pure ----

// A numeric header field: octal digits (space or NUL terminated), or GNU base-256 (high bit of
// the first byte set). Errors for anything else.
Result<std::uint64_t> parse_tar_number(std::string_view field);

// One 512-byte header: std::nullopt for an all-zero block (the end), an error for a bad
// checksum. `typeflag` is the raw type byte.
struct TarHeader {
  std::string name;  // prefix + "/" + name for ustar
  char typeflag = '0';
  std::uint32_t mode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_s = 0;
  std::string linkname;
};
Result<std::optional<TarHeader>> parse_tar_header(std::string_view block);

// "LEN key=value\n" records of a pax extended header.
Result<std::map<std::string, std::string>> parse_pax_records(std::string_view text);

// ---- Reading ----

class TarReader {
 public:
  explicit TarReader(ByteSource& source) : m_source(source) {}

  // The next member (its data, if any, to be read with read_data or skipped by the next call),
  // or std::nullopt at the end of the archive.
  Result<std::optional<ArchiveMember>> next();

  // Up to `size` bytes of the current member's data; 0 at its end.
  Result<std::size_t> read_data(char* buffer, std::size_t size);

 private:
  Status skip_rest();
  Result<std::string> read_extension(std::uint64_t size);

  ByteSource& m_source;
  std::uint64_t m_remaining = 0;  // data of the current member still unread
  std::uint64_t m_padding = 0;    // zeros after it up to the 512-byte boundary
};

}  // namespace choline::agent
