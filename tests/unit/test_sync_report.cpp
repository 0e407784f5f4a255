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

TEST_CASE("A report is held against what the sender did", "[sync]") {
  const SenderAccount done{true, true, 3, 0};
  CHECK(check_report({3, 0, {}}, done).ok());
  CHECK(check_report({2, 0, {"f1: disk full"}}, done).ok());              // the failure is reported: no false success
  CHECK(check_report({0, 5, {}}, SenderAccount{true, true, 0, 0}).ok());  // up to date, deletions are its own

  const auto refused = [](const Report& report, const SenderAccount& account, const std::string& why) {
    auto checked = check_report(report, account);
    REQUIRE_FALSE(checked.ok());
    CHECK(checked.error().kind == ErrorKind::protocol);
    CHECK_THAT(checked.error().message, Catch::StartsWith("the receiver ") && Catch::Contains(why));
  };
  refused({0, 0, {}}, SenderAccount{false, false, 0, 0}, "before it had finished asking");
  refused({3, 0, {}}, SenderAccount{true, false, 1, 0}, "before every file it asked for had been sent");
  refused({4, 0, {}}, done, "reports 4 files written, but only 3 were sent");
  refused({4, 0, {"x: y"}}, done, "but only 3 were sent");
  refused({2, 0, {}}, done, "reports no error, but only 2 of the 3 files sent written");
  refused({3, 0, {}}, SenderAccount{true, true, 3, 1}, "reports no error, but 1 file(s) could not be sent");
}
