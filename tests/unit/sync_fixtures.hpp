#pragma once
// Helpers for sync tests: scratch directories, file writing, tree comparison, and running a
// sender and a receiver against each other in one process.

#include <choline/sync/sync.hpp>

#include "fakes/pipe_stream.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace choline::testing {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() / ("choline-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path, ec);
  }
};

inline void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string bytes(size, '\0');
  for (auto& c : bytes) c = static_cast<char>(rng() & 0xff);
  return bytes;
}

// Sets a file's mtime into the past, so the sync sees it as settled rather than racy.
inline void age(const fs::path& path, int seconds_ago = 60) {
  fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::seconds(seconds_ago));
}

inline void age_tree(const fs::path& root) {
  for (auto& item : fs::recursive_directory_iterator(root)) {
    if (!item.is_symlink()) age(item.path());
  }
}

// Compares content, type, permission bits, file mtimes and symlink targets of two trees.
inline void require_same_tree(const fs::path& a, const fs::path& b) {
  std::vector<std::string> left, right;
  for (auto& item : fs::recursive_directory_iterator(a)) left.push_back(item.path().lexically_relative(a).string());
  for (auto& item : fs::recursive_directory_iterator(b)) right.push_back(item.path().lexically_relative(b).string());
  std::sort(left.begin(), left.end());
  std::sort(right.begin(), right.end());
  REQUIRE(left == right);
  for (const auto& name : left) {
    INFO(name);
    struct stat sa {}, sb {};
    REQUIRE(::lstat((a / name).c_str(), &sa) == 0);
    REQUIRE(::lstat((b / name).c_str(), &sb) == 0);
    CHECK((sa.st_mode & S_IFMT) == (sb.st_mode & S_IFMT));
    if (S_ISREG(sa.st_mode)) {
      CHECK(read_file(a / name) == read_file(b / name));
      CHECK((sa.st_mode & 0777) == (sb.st_mode & 0777));
      CHECK(sa.st_mtim.tv_sec == sb.st_mtim.tv_sec);
      CHECK(sa.st_mtim.tv_nsec == sb.st_mtim.tv_nsec);
    } else if (S_ISLNK(sa.st_mode)) {
      CHECK(fs::read_symlink(a / name) == fs::read_symlink(b / name));
    }
  }
}

struct SyncOutcome {
  Result<sync::SyncStats> sent = make_error(ErrorKind::internal, "not run");
  Result<sync::SyncStats> received = make_error(ErrorKind::internal, "not run");
};

// Runs a whole sync in-process. Each side drops its stream end when it returns, as a process
// exiting would, so a failure on one side never leaves the other blocked.
inline SyncOutcome run_sync(const fs::path& source, const fs::path& destination, const sync::SyncOptions& options = {},
                            std::uint64_t sender_budget = std::numeric_limits<std::uint64_t>::max()) {
  auto pair = fakes::make_stream_pair(sender_budget);
  SyncOutcome outcome;
  std::thread receiver([&] {
    outcome.received = sync::run_receiver(destination, *pair.b, options);
    pair.b.reset();
  });
  outcome.sent = sync::run_sender(source, *pair.a, options);
  pair.a.reset();
  receiver.join();
  return outcome;
}

}  // namespace choline::testing
