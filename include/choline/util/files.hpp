#pragma once
// File helpers that know nothing of choline.

#include <choline/error.hpp>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <limits>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>

namespace choline::util {

// Reads a whole file. Returns an io or not_found error naming the path; an io error when the
// file holds more than `max_bytes` (files that may come from a host are read with a bound).
Result<std::string> read_file(const std::filesystem::path& path,
                              std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

// A file's mtime in nanoseconds since the epoch, saturated to the int64 range (a peer may have
// announced any time, and seconds * 10^9 must not overflow).
std::int64_t mtime_ns(const struct stat& st);
// The timespec for utimensat/futimens of a time in nanoseconds (negative times included).
struct timespec timespec_from_ns(std::int64_t ns);

// Replaces `path` with `content` so that a reader sees either the old or the new file, never a
// torn one, even across a crash: write a temp file beside it, fsync, rename, fsync the directory.
// The file is created with `mode` (less the umask), so it appears with it.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);

}  // namespace choline::util
