#include <choline/agent/archive.hpp>
#include <choline/agent/tar_reader.hpp>

#include "archive_fixtures.hpp"
#include "sync_fixtures.hpp"

using namespace choline;
using namespace choline::agent;
using namespace choline::testing;

namespace {

struct Unpacked {
  TempDir dir;
  fs::path out = dir.path / "out";
  Result<ExtractStats> stats = make_error(ErrorKind::internal, "not run");
};

std::unique_ptr<Unpacked> unpack(const std::string& archive_bytes, ExtractLimits limits = {}) {
  auto result = std::make_unique<Unpacked>();
  write_file(result->dir.path / "archive", archive_bytes);
  fs::create_directories(result->out);
  result->stats = extract_archive(result->dir.path / "archive", result->out, limits);
  return result;
}

// Nothing outside the destination was touched: only `out` exists beside the archive.
void require_contained(const Unpacked& unpacked) {
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(unpacked.dir.path)) names.push_back(item.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"archive", "out"});
}

}  // namespace

TEST_CASE("tar, tar.gz and tar.zst unpack with directories, links and long names", "[agent][data]") {
  const std::string long_path = "deep/" + std::string(120, 'n') + ".txt";
  const std::string pax_path = "pax/" + std::string(150, 'p') + ".bin";
  const std::string tar = TarBuilder()
                              .dir("./images/")
                              .file("./images/a.png", "PNG", 0600)
                              .file("run.sh", "#!/bin/sh\n", 0755)
                              .symlink("latest", "images/a.png")
                              .add("copy.png", '1', {}, "images/a.png")
                              .long_name(long_path, "long")
                              .pax_path(pax_path, "pax data")
                              .bytes();
  for (const auto& [name, bytes] :
       std::vector<std::pair<std::string, std::string>>{{"tar", tar}, {"gz", gzip(tar)}, {"zst", zstd(tar)}}) {
    INFO(name);
    auto unpacked = unpack(bytes);
    INFO((unpacked->stats ? "" : unpacked->stats.error().message));
    REQUIRE(unpacked->stats.ok());
    const fs::path out = unpacked->out;
    CHECK(read_file(out / "images/a.png") == "PNG");
    CHECK(read_file(out / long_path) == "long");
    CHECK(read_file(out / pax_path) == "pax data");
    CHECK(fs::read_symlink(out / "latest") == "images/a.png");
    CHECK(read_file(out / "copy.png") == "PNG");
    CHECK((fs::status(out / "run.sh").permissions() & fs::perms::owner_exec) != fs::perms::none);
    CHECK(unpacked->stats->files == 4);
    CHECK(unpacked->stats->links == 2);
  }
}

TEST_CASE("zip archives unpack, stored and deflated", "[agent][data]") {
  const std::string big = random_bytes(100'000, 4) + std::string(50'000, 'z');
  const std::string zip = ZipBuilder()
                              .add("dir/", "", false, 040755)
                              .add("dir/big.bin", big)
                              .add("plain.txt", "stored", false)
                              .add("link", "dir/big.bin", false, 0120777)
                              .add("windows.txt", "no unix attributes", true, 0)
                              .bytes();
  auto unpacked = unpack(zip);
  INFO((unpacked->stats ? "" : unpacked->stats.error().message));
  REQUIRE(unpacked->stats.ok());
  CHECK(unpacked->stats->format == ArchiveFormat::zip);
  CHECK(read_file(unpacked->out / "dir/big.bin") == big);
  CHECK(read_file(unpacked->out / "plain.txt") == "stored");
  CHECK(read_file(unpacked->out / "windows.txt") == "no unix attributes");
  CHECK(fs::read_symlink(unpacked->out / "link") == "dir/big.bin");
}

TEST_CASE("A damaged zip member fails its CRC check", "[agent][data]") {
  std::string zip = ZipBuilder().add("a.txt", "hello world", false).bytes();
  zip[30 + 5 + 3] = 'X';  // inside the stored data, after the 30-byte local header and the name
  auto unpacked = unpack(zip);
  REQUIRE_FALSE(unpacked->stats.ok());
  CHECK_THAT(unpacked->stats.error().message, Catch::Contains("CRC-32"));
}

TEST_CASE("Hostile archives never write outside the destination", "[agent][data]") {
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"absolute path", TarBuilder().file("/tmp/choline-pwned", "x").bytes()},
      {"dot-dot", TarBuilder().file("../escaped", "x").bytes()},
      {"dot-dot inside", TarBuilder().file("a/../../escaped", "x").bytes()},
      {"escaping symlink", TarBuilder().symlink("up", "../..").bytes()},
      {"absolute symlink", TarBuilder().symlink("etc", "/etc").bytes()},
      {"write through a symlink", TarBuilder().symlink("here", ".").file("here/file", "x").bytes()},
      {"hard link out", TarBuilder().add("h", '1', {}, "../archive").bytes()},
      {"zip dot-dot", ZipBuilder().add("../escaped", "x").bytes()},
      {"zip symlink out", ZipBuilder().add("s", "../../x", false, 0120777).bytes()},
  };
  for (const auto& [what, bytes] : hostile) {
    INFO(what);
    auto unpacked = unpack(bytes);
    REQUIRE_FALSE(unpacked->stats.ok());
    CHECK(unpacked->stats.error().kind == ErrorKind::protocol);
    CHECK_THAT(unpacked->stats.error().message, Catch::Contains("unsafe member"));
    require_contained(*unpacked);
  }
  CHECK_FALSE(fs::exists("/tmp/choline-pwned"));
}

TEST_CASE("Device files are skipped and sizes are bounded", "[agent][data]") {
  auto devices = unpack(TarBuilder().add("dev/null", '3').add("fifo", '6').file("ok.txt", "fine").bytes());
  REQUIRE(devices->stats.ok());
  CHECK(devices->stats->skipped == std::vector<std::string>{"dev/null", "fifo"});
  CHECK_FALSE(fs::exists(devices->out / "dev/null"));
  CHECK(read_file(devices->out / "ok.txt") == "fine");

  ExtractLimits limits;
  limits.max_bytes = 1000;
  auto large = unpack(TarBuilder().file("big.bin", std::string(5000, 'x')).bytes(), limits);
  REQUIRE_FALSE(large.get()->stats.ok());
  CHECK_THAT(large->stats.error().message, Catch::Contains("unpacks to more than"));
  // A zip bomb announces little and inflates much: counted as it is written.
  auto bomb = unpack(ZipBuilder().add("zeros", std::string(200'000, '\0')).bytes(), limits);
  REQUIRE_FALSE(bomb->stats.ok());
}

TEST_CASE("What is not an archive is refused with a way out", "[agent][data]") {
  auto unpacked = unpack("just some text, not an archive");
  REQUIRE_FALSE(unpacked->stats.ok());
  CHECK_THAT(unpacked->stats.error().message,
             Catch::Contains("not a tar, tar.gz, tar.zst or zip archive") && Catch::Contains("\"extract\": false"));
  auto cut = unpack(gzip(TarBuilder().file("a", random_bytes(100'000, 9)).bytes()).substr(0, 50'000));
  REQUIRE_FALSE(cut->stats.ok());
  CHECK_THAT(cut->stats.error().message, Catch::Contains("ends early"));
  auto cut_zstd = unpack(zstd(TarBuilder().file("a", random_bytes(100'000, 9)).bytes()).substr(0, 50'000));
  REQUIRE_FALSE(cut_zstd->stats.ok());
}

TEST_CASE("Member names become safe relative destinations", "[agent][data]") {
  CHECK(*member_destination("./a/b/") == "a/b");
  CHECK(*member_destination("./") == "");
  CHECK(*member_destination(".//x") == "x");
  CHECK_FALSE(member_destination("/etc/passwd").ok());
  CHECK_FALSE(member_destination("a/../../b").ok());
  CHECK_FALSE(member_destination("a//b").ok());
}

TEST_CASE("tar numbers: octal and GNU base-256", "[agent][data]") {
  CHECK(*parse_tar_number("0000644 ") == 0644);
  CHECK(*parse_tar_number(std::string("000000012\0", 10)) == 10);
  CHECK(*parse_tar_number(std::string("\x80\0\0\0\0\0\0\x02\0\0\0\0", 12)) == (2ull << 32));
  CHECK_FALSE(parse_tar_number("12x4").ok());
  auto records = parse_pax_records("20 path=a/long/name\n13 size=1234\n");
  REQUIRE(records.ok());
  CHECK(records->at("path") == "a/long/name");
  CHECK(records->at("size") == "1234");
  CHECK_FALSE(parse_pax_records("99 path=x\n").ok());
}

TEST_CASE("Archive formats are told by their first bytes", "[agent][data]") {
  CHECK(detect_archive_format(gzip("x")) == ArchiveFormat::tar_gz);
  CHECK(detect_archive_format(zstd("x")) == ArchiveFormat::tar_zst);
  CHECK(detect_archive_format(ZipBuilder().add("a", "b").bytes()) == ArchiveFormat::zip);
  CHECK(detect_archive_format(TarBuilder().file("a", "b").bytes()) == ArchiveFormat::tar);
  CHECK(detect_archive_format("hello") == ArchiveFormat::unknown);
}
