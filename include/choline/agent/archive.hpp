#pragma once
// Unpacking a downloaded archive (.tar, .tar.gz, .tar.zst, .zip) into a staging directory. The
// archive comes from the internet: nothing in it may write outside the directory. Paths that are
// absolute or climb with "..", symlinks that point out, links through symlinks, and members
// past the size limit fail the extraction; device files and FIFOs are skipped.

#include <choline/error.hpp>
#include <choline/limits.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace choline::agent {

enum class ArchiveFormat { tar, tar_gz, tar_zst, zip, unknown };

// ---- Pure ----

// The format from the file's first bytes (at least 512 for a bare tar), whatever its name.
ArchiveFormat detect_archive_format(std::string_view head);
const char* to_string(ArchiveFormat format);

// Where a member named `name` lands, relative to the destination: leading "./" and a trailing
// "/" dropped, "" for the destination itself. An error (protocol) for an absolute path or one
// with "..", or an otherwise unsafe one.
Result<std::string> member_destination(std::string_view name);

// ---- Unpacking ----

struct ExtractLimits {
  std::uint64_t max_bytes = limits::k_max_file_size;  // all file contents together
  std::uint64_t max_members = limits::k_max_entries;
};

struct ExtractStats {
  ArchiveFormat format = ArchiveFormat::unknown;
  std::uint64_t files = 0;
  std::uint64_t directories = 0;
  std::uint64_t links = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> skipped;  // members that are neither files, directories nor links
};

// Unpacks `archive` into `destination` (an existing, empty directory). On failure what was
// written stays in `destination` for the caller to remove.
Result<ExtractStats> extract_archive(const std::filesystem::path& archive, const std::filesystem::path& destination,
                                     const ExtractLimits& limits);

}  // namespace choline::agent
