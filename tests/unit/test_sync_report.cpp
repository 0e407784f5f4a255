// The REPORT codec both ends share, and the --stats format.
#include <choline/limits.hpp>
#include <choline/sync/report.hpp>
#include <choline/sync/wire.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::sync;

TEST_CASE("A report decodes to what was encoded, the peer's words escaped", "[sync]") {
  SyncStats stats;
  stats.files_transferred = 7;
  stats.files_deleted = 2;
  stats.errors = {"a.txt: cannot move into place", "b\x1b[2J: bad name"};
  auto report = decode_report(encode_report(stats));
  REQUIRE(report.ok());
  CHECK(report->transferred == 7);
  CHECK(report->deleted == 2);
  REQUIRE(report->errors.size() == 2);
  CHECK(report->errors[0] == "a.txt: cannot move into place");
  CHECK(report->errors[1] == "b\\x1b[2J: bad name");
}

TEST_CASE("A report carries at most k_max_report_errors errors and a line counting the rest", "[sync]") {
  SyncStats stats;
  for (std::size_t i = 0; i < limits::k_max_report_errors + 25; ++i)
    stats.errors.push_back("f" + std::to_string(i) + ": gone");
  auto report = decode_report(encode_report(stats));
  REQUIRE(report.ok());
  REQUIRE(report->errors.size() == limits::k_max_report_errors + 1);
  CHECK(report->errors.back() == "... and 25 more errors");
}

TEST_CASE("A truncated, padded or overlong report is a protocol error", "[sync]") {
  const std::string whole = encode_report(SyncStats{});
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    auto report = decode_report(std::string_view(whole).substr(0, cut));
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().kind == ErrorKind::protocol);
  }
  CHECK_FALSE(decode_report(whole + "x").ok());
  Encoder many;
  many.u64(0).u64(0).u32(static_cast<std::uint32_t>(limits::k_max_report_errors + 2));
  auto report = decode_report(many.bytes());
  REQUIRE_FALSE(report.ok());
  CHECK_THAT(report.error().message, Catch::Contains("too many errors"));
}

TEST_CASE("Stats print as one JSON object", "[sync]") {
  SyncStats stats;
  stats.files_total = 3;
  stats.files_transferred = 2;
  stats.seconds = 1.5;
  stats.errors = {"x: y"};
  const std::string json = stats_to_json(stats);
  CHECK_THAT(json, Catch::StartsWith("{\"files_total\": 3, \"files_transferred\": 2, "));
  CHECK_THAT(json, Catch::Contains("\"seconds\": 1.500"));
  CHECK_THAT(json, Catch::EndsWith("\"errors\": 1}"));
}
