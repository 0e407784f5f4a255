#include <choline/sync/report.hpp>

#include <choline/limits.hpp>
#include <choline/sync/wire.hpp>
#include <choline/util/strings.hpp>

#include <cstdio>

namespace choline::sync {

std::string encode_report(const SyncStats& stats) {
  constexpr std::size_t k_room = limits::k_max_frame_payload - 2 * limits::k_max_error_message;
  std::vector<std::string> lines;
  std::size_t bytes = 0;
  for (const auto& error : stats.errors) {
    std::string line = error.substr(0, limits::k_max_error_message - 192);
    if (bytes + line.size() + 4 > k_room || lines.size() == k_max_report_errors) break;
    bytes += line.size() + 4;
    lines.push_back(std::move(line));
  }
  const std::uint64_t total = stats.errors.size() + stats.errors_omitted;
  if (lines.size() < total) lines.push_back("... and " + std::to_string(total - lines.size()) + " more errors");
  Encoder report;
  report.u64(stats.files_transferred).u64(stats.files_deleted).u32(static_cast<std::uint32_t>(lines.size()));
  for (const auto& line : lines) report.str(line);
  return report.take();
}

Result<Report> decode_report(std::string_view payload) {
  Decoder in(payload);
  auto transferred = in.u64();
  auto deleted = in.u64();
  auto count = in.u32();
  if (!transferred || !deleted || !count) return make_error(ErrorKind::protocol, "truncated report from peer");
  if (*count > k_max_report_errors + 1) return make_error(ErrorKind::protocol, "too many errors in report from peer");
  Report report;
  report.transferred = *transferred;
  report.deleted = *deleted;
  for (std::uint32_t i = 0; i < *count; ++i) {
    auto error = in.str(limits::k_max_error_message);
    if (!error) return error.error();
    report.errors.push_back(util::printable(*error, limits::k_max_error_message));  // the peer's words, escaped
  }
  if (auto ok = in.finish("report"); !ok) return ok.error();
  return report;
}

Status check_report(const Report& report, const SenderAccount& account) {
  const auto bad = [](const std::string& why) { return make_error(ErrorKind::protocol, "the receiver " + why); };
  if (!account.requests_ended) {
    return bad(
        "reported before it had finished asking for files, so nothing it lacks was sent: its report cannot be true");
  }
  if (!account.answered_all) return bad("reported before every file it asked for had been sent");
  if (report.transferred > account.files_sent) {
    return bad("reports " + std::to_string(report.transferred) + " files written, but only " +
               std::to_string(account.files_sent) + " were sent");
  }
  if (report.errors.empty() && report.transferred < account.files_sent) {
    return bad("reports no error, but only " + std::to_string(report.transferred) + " of the " +
               std::to_string(account.files_sent) + " files sent written");
  }
  if (report.errors.empty() && account.files_aborted > 0) {
    return bad("reports no error, but " + std::to_string(account.files_aborted) + " file(s) could not be sent");
  }
  return {};
}

std::string stats_to_json(const SyncStats& stats) {
  std::string json = "{";
  auto field = [&](const char* name, const std::string& value) {
    if (json.size() > 1) json += ", ";
    json += std::string("\"") + name + "\": " + value;
  };
  field("files_total", std::to_string(stats.files_total));
  field("files_transferred", std::to_string(stats.files_transferred));
  field("files_deleted", std::to_string(stats.files_deleted));
  field("bytes_literal", std::to_string(stats.bytes_literal));
  field("bytes_matched", std::to_string(stats.bytes_matched));
  field("bytes_sent", std::to_string(stats.bytes_sent));
  field("bytes_received", std::to_string(stats.bytes_received));
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", stats.seconds);
  field("seconds", seconds);
  field("errors", std::to_string(stats.errors.size() + stats.errors_omitted));
  return json + "}";
}

}  // namespace choline::sync
