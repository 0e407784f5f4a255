#include "sync_fixtures.hpp"

using namespace choline;
using namespace choline::sync;
using namespace choline::testing;

namespace {
void make_project(const fs::path& root) {
  write_file(root / "train.py", "print('train')\n");
  write_file(root / "lib/model.py", "class Model: pass\n");
  write_file(root / "data/weights.bin", random_bytes(400'000, 1));
  write_file(root / "empty.txt", "");
  fs::create_directories(root / "logs/empty-dir");
  fs::create_symlink("../train.py", root / "lib/link.py");
  write_file(root / "run.sh", "#!/bin/sh\necho hi\n");
  fs::permissions(root / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
  age_tree(root);
}
}  // namespace

TEST_CASE("A cold sync reproduces the tree byte for byte with metadata", "[sync]") {
  TempDir src, dst;
  make_project(src.path);
  auto outcome = run_sync(src.path, dst.path / "new");
  REQUIRE(outcome.sent.ok());
  REQUIRE(outcome.received.ok());
  require_same_tree(src.path, dst.path / "new");
  CHECK(outcome.sent->files_transferred == 5);
  CHECK(outcome.sent->errors.empty());
  CHECK(outcome.sent->bytes_literal == 400'000 + 15 + 18 + 18);
  CHECK(outcome.received->files_total == outcome.sent->files_total);
}

TEST_CASE("A warm sync transfers nothing", "[sync]") {
  TempDir src, dst;
  make_project(src.path);
  REQUIRE(run_sync(src.path, dst.path).sent.ok());
  auto again = run_sync(src.path, dst.path);
  REQUIRE(again.sent.ok());
  CHECK(again.sent->files_transferred == 0);
  CHECK(again.sent->bytes_literal == 0);
  CHECK(again.sent->bytes_sent < 2000);
}

TEST_CASE("A changed large file travels as a delta", "[sync]") {
  TempDir src, dst;
  make_project(src.path);
  REQUIRE(run_sync(src.path, dst.path).sent.ok());
  std::string content = read_file(src.path / "data/weights.bin");
  content.replace(200'000, 6, "CHANGE");
  content += "appended tail";
  write_file(src.path / "data/weights.bin", content);
  age(src.path / "data/weights.bin", 30);
  auto outcome = run_sync(src.path, dst.path);
  REQUIRE(outcome.sent.ok());
  require_same_tree(src.path, dst.path);
  CHECK(outcome.sent->files_transferred == 1);
  CHECK(outcome.sent->bytes_matched > 390'000);
  CHECK(outcome.sent->bytes_sent < 10'000);
}

TEST_CASE("A racy file is compared by content even when size and mtime match", "[sync]") {
  TempDir src, dst;
  write_file(src.path / "big.bin", random_bytes(100'000, 2));
  REQUIRE(run_sync(src.path, dst.path).sent.ok());
  // Same size, and the destination copy given the source's mtime: only content differs.
  std::string content = read_file(src.path / "big.bin");
  content[5] = static_cast<char>(content[5] ^ 0xff);
  write_file(src.path / "big.bin", content);
  fs::last_write_time(dst.path / "big.bin", fs::last_write_time(src.path / "big.bin"));
  auto outcome = run_sync(src.path, dst.path);
  REQUIRE(outcome.sent.ok());
  CHECK(read_file(dst.path / "big.bin") == content);
}

TEST_CASE("Delete removes extraneous files but keeps ignored ones", "[sync]") {
  TempDir src, dst;
  make_project(src.path);
  write_file(src.path / ".gitignore", "checkpoints/\n");
  REQUIRE(run_sync(src.path, dst.path).sent.ok());
  write_file(dst.path / "stale.py", "old");
  write_file(dst.path / "old-dir/x.txt", "old");
  write_file(dst.path / "checkpoints/epoch-1.pt", "precious");
  SyncOptions options;
  options.delete_extraneous = true;
  auto outcome = run_sync(src.path, dst.path, options);
  REQUIRE(outcome.sent.ok());
  CHECK_FALSE(fs::exists(dst.path / "stale.py"));
  CHECK_FALSE(fs::exists(dst.path / "old-dir"));
  CHECK(read_file(dst.path / "checkpoints/epoch-1.pt") == "precious");
  CHECK(outcome.sent->files_deleted == 3);
}

TEST_CASE("Without --delete, extra files stay", "[sync]") {
  TempDir src, dst;
  make_project(src.path);
  write_file(dst.path / "mine.txt", "mine");
  REQUIRE(run_sync(src.path, dst.path).sent.ok());
  CHECK(read_file(dst.path / "mine.txt") == "mine");
}

TEST_CASE("Type changes replace what is in the way", "[sync]") {
  TempDir src, dst;
  write_file(src.path / "a", "now a file");
  fs::create_directories(src.path / "b");
  write_file(dst.path / "a/inner.txt", "was a directory");
  write_file(dst.path / "b", "was a file");
  age_tree(src.path);
  auto outcome = run_sync(src.path, dst.path);
  REQUIRE(outcome.sent.ok());
  CHECK(read_file(dst.path / "a") == "now a file");
  CHECK(fs::is_directory(dst.path / "b"));
}

TEST_CASE("An interrupted transfer leaves no partial file in place", "[sync]") {
  TempDir src, dst;
  write_file(src.path / "old.bin", random_bytes(3'000'000, 3));
  write_file(src.path / "new.bin", random_bytes(2'000'000, 4));
  age_tree(src.path);
  write_file(dst.path / "old.bin", random_bytes(3'000'000, 5));  // a different older version
  const std::string before = read_file(dst.path / "old.bin");
  auto outcome = run_sync(src.path, dst.path, {}, 600'000);
  CHECK_FALSE(outcome.sent.ok());
  CHECK_FALSE(outcome.received.ok());
  CHECK_FALSE(fs::exists(dst.path / "new.bin"));
  CHECK(read_file(dst.path / "old.bin") == before);
  for (auto& item : fs::directory_iterator(dst.path)) {
    CHECK_THAT(item.path().filename().string(), !Catch::StartsWith(".choline-tmp-"));
  }
  // The next sync completes the job.
  auto retry = run_sync(src.path, dst.path);
  REQUIRE(retry.sent.ok());
  require_same_tree(src.path, dst.path);
}

TEST_CASE("Extra ignore patterns and .cholineignore keep files out", "[sync]") {
  TempDir src, dst;
  write_file(src.path / "keep.py", "x");
  write_file(src.path / "skip.ckpt", "x");
  write_file(src.path / "data/raw/huge.bin", "x");
  write_file(src.path / ".cholineignore", "data/raw/\n");
  write_file(src.path / ".git/HEAD", "ref");
  SyncOptions options;
  options.extra_ignore = {"*.ckpt"};
  REQUIRE(run_sync(src.path, dst.path, options).sent.ok());
  CHECK(fs::exists(dst.path / "keep.py"));
  CHECK_FALSE(fs::exists(dst.path / "skip.ckpt"));
  CHECK_FALSE(fs::exists(dst.path / "data/raw"));
  CHECK_FALSE(fs::exists(dst.path / ".git"));
}

TEST_CASE("A missing source is an error before anything is sent", "[sync]") {
  TempDir dst;
  auto outcome = run_sync(dst.path / "does-not-exist", dst.path / "out");
  REQUIRE_FALSE(outcome.sent.ok());
  CHECK(outcome.sent.error().kind == ErrorKind::not_found);
}

TEST_CASE("A tree of long paths travels in several file-list frames", "[sync]") {
  TempDir src, dst;
  // 3,000 entries with ~700-byte paths: far beyond one 1 MiB frame.
  const std::string deep = std::string(200, 'a') + "/" + std::string(200, 'b') + "/" + std::string(200, 'c');
  for (int i = 0; i < 3000; ++i) write_file(src.path / deep / ("file-" + std::to_string(i) + std::string(80, 'x')), "x");
  age_tree(src.path);
  auto outcome = run_sync(src.path, dst.path);
  REQUIRE(outcome.sent.ok());
  CHECK(outcome.sent->files_transferred == 3000);
  CHECK(fs::exists(dst.path / deep / ("file-2999" + std::string(80, 'x'))));
}
