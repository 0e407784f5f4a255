#pragma once
// File helpers that know nothing of choline.

#include <choline/error.hpp>

#include <filesystem>
#include <sys/types.h>
#include <string>

namespace choline::util {

// Reads a whole file. Returns an io or not_found error naming the path.
Result<std::string> read_file(const std::filesystem::path& path);

// Replaces `path` with `content` so that a reader sees either the old or the new file, never a
// torn one, even across a crash: write a temp file beside it, fsync, rename, fsync the directory.
// The file is created with `mode` (less the umask), so it appears with it.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);

}  // namespace choline::util
