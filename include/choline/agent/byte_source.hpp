#pragma once
// Sequential byte streams for unpacking archives: a file, and gzip or zstd decompression over
// another source. Pulling keeps the readers simple (a tar reader asks for the next 512 bytes)
// and bounds memory to one buffer per layer.

#include <choline/error.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace choline::agent {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `size` bytes; 0 at the end. Corrupt input is a protocol error.
  virtual Result<std::size_t> read(char* buffer, std::size_t size) = 0;

  // Exactly `size` bytes, or an error that says the input ended early (`what` names it).
  Status read_exact(char* buffer, std::size_t size, const char* what);
  // Reads and drops `size` bytes.
  Status skip(std::uint64_t size, const char* what);
};

// The file at `path`, from its start.
Result<std::unique_ptr<ByteSource>> open_file_source(const std::filesystem::path& path);

// gzip (one or more members, as `cat a.gz b.gz` makes) decompressed from `input`.
std::unique_ptr<ByteSource> make_gzip_source(std::unique_ptr<ByteSource> input);

// zstd (one or more frames) decompressed from `input`.
std::unique_ptr<ByteSource> make_zstd_source(std::unique_ptr<ByteSource> input);

}  // namespace choline::agent
