// Neither end of a sync takes the other's word on trust: a sync that wrote nothing must never
// end as a success. Each case plays a scripted peer against a real end, as an independent
// fuzzing pass did when it found the false successes these tests pin down.
#include <choline/limits.hpp>
#include <choline/sync/protocol.hpp>
#include <choline/sync/report.hpp>
#include <choline/util/hash.hpp>

#include "sync_fixtures.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <sstream>

using namespace choline;
using namespace choline::sync;
using namespace choline::testing;

namespace {

void send(FrameWriter& w, Msg type, const std::string& payload = {}) {
  (void)w.write(static_cast<std::uint8_t>(type), payload);
}

std::string u64(std::uint64_t v) {
  Encoder e;
  e.u64(v);
  return e.take();
}

FileEntry file_entry(const std::string& path, std::uint64_t size) {
  return {path, EntryType::file, 0644, size, 1'600'000'000'000'000'000, "", false};
}

void send_entries(FrameWriter& w, const std::vector<FileEntry>& list) {
  Encoder batch;
  batch.u32(static_cast<std::uint32_t>(list.size()));
  for (const auto& e : list) encode_entry(batch, e);
  send(w, Msg::entries, batch.take());
}

void send_done(FrameWriter& w) {
  Encoder done;
  done.u64(0).u64(0);
  send(w, Msg::done, done.take());
}

void send_file(FrameWriter& w, std::uint64_t index, const std::string& content) {
  Encoder begin;
  begin.u64(index).u8(static_cast<std::uint8_t>(TransferKind::whole));
  send(w, Msg::file_begin, begin.take());
  send(w, Msg::data, content);
  util::Hash128 hash;
  hash.update(content.data(), content.size());
  Encoder end;
  end.u64(content.size()).raw(hash.digest());
  send(w, Msg::file_end, end.take());
}

std::string report(std::uint64_t transferred, const std::vector<std::string>& errors = {}) {
  Encoder e;
  e.u64(transferred).u64(0).u32(static_cast<std::uint32_t>(errors.size()));
  for (const auto& error : errors) e.str(error);
  return e.take();
}

// Reads the receiver's frames up to its REQS_END (or its end); returns the indices it asked for.
std::vector<std::uint64_t> read_requests(FrameReader& reader) {
  std::vector<std::uint64_t> asked;
  for (;;) {
    auto frame = reader.read();
    if (!frame) return asked;
    const auto type = static_cast<Msg>(frame->type);
    if (type == Msg::reqs_end) return asked;
    if (type == Msg::req_whole || type == Msg::req_delta) {
      Decoder in(frame->payload);
      asked.push_back(*in.u64());
    }
  }
}

// A real receiver into `root` against a scripted sender that may read the receiver's requests.
// After the script, the sender's side is closed and the receiver's replies are read to their end.
Result<SyncStats> receive_from(const fs::path& root, const std::function<void(FrameWriter&, FrameReader&)>& script) {
  auto pair = fakes::make_stream_pair();
  Result<SyncStats> received = make_error(ErrorKind::internal, "not run");
  std::thread receiver([&] {
    received = run_receiver(root, *pair.b, {});
    pair.b.reset();  // as the receiving process exiting
  });
  FrameWriter w(*pair.a);
  FrameReader r(*pair.a);
  send(w, Msg::hello, encode_hello());
  script(w, r);
  (void)w.flush();
  pair.a->close_write();
  while (r.read()) {
  }
  receiver.join();
  return received;
}

// A real sender of `source` against a scripted receiver: `on_frame` sees each frame the sender
// sends and may answer; it returns false to stop reading (the scripted receiver then reads the
// rest and drops it, as a peer that exits would not, so the sender is never blocked by us).
Result<SyncStats> send_to(const fs::path& source, const std::function<bool(const Frame&, FrameWriter&)>& on_frame) {
  auto pair = fakes::make_stream_pair();
  std::thread receiver([&] {
    FrameReader reader(*pair.b);
    FrameWriter w(*pair.b);
    bool listening = true;
    for (;;) {
      auto frame = reader.read();
      if (!frame) break;
      if (listening) listening = on_frame(*frame, w);
      (void)w.flush();
    }
    pair.b->close_write();
  });
  auto sent = run_sender(source, *pair.a, {});
  pair.a->close_write();
  receiver.join();
  return sent;
}

fs::path make_source(const TempDir& dir, int files, std::size_t size) {
  const fs::path source = dir.path / "source";
  for (int i = 0; i < files; ++i) write_file(source / ("f" + std::to_string(i)), random_bytes(size, i));
  age_tree(source);
  return source;
}

bool is(const Frame& frame, Msg type) {
  return frame.type == static_cast<std::uint8_t>(type);
}

}  // namespace

// --- pull: the receiver (the laptop, where checkpoints come home) ---------------------------

TEST_CASE("A sender's DONE with requested files neither sent nor aborted is an error, not a success",
          "[sync][security]") {
  TempDir dir;
  auto received = receive_from(dir.path / "root", [](FrameWriter& w, FrameReader& r) {
    send_entries(w, {file_entry("a.pt", 3), file_entry("b.pt", 3), file_entry("c.pt", 3)});
    send(w, Msg::entries_end);
    (void)w.flush();
    CHECK(read_requests(r).size() == 3);
    send_done(w);  // found by fuzzing: exit 0, "transferred 0, errors 0", nothing written
  });
  REQUIRE_FALSE(received.ok());
  CHECK(received.error().kind == ErrorKind::protocol);
  CHECK_THAT(received.error().message,
             Catch::Contains("the sender ended the sync with 3 requested file(s) neither sent "
                             "nor aborted (first: a.pt)"));
  CHECK_FALSE(fs::exists(dir.path / "root" / "a.pt"));
}

TEST_CASE("A DONE before the receiver finished asking counts the requests made after it", "[sync][security]") {
  TempDir dir;
  auto received = receive_from(dir.path / "root", [](FrameWriter& w, FrameReader&) {
    send_entries(w, {file_entry("a.pt", 3)});
    send(w, Msg::entries_end);
    send_done(w);  // at once, without waiting for the request
  });
  REQUIRE_FALSE(received.ok());
  CHECK_THAT(received.error().message, Catch::Contains("neither sent nor aborted"));
}

TEST_CASE("A DONE in the middle of a file is an error", "[sync][security]") {
  TempDir dir;
  auto received = receive_from(dir.path / "root", [](FrameWriter& w, FrameReader& r) {
    send_entries(w, {file_entry("a.pt", 4)});
    send(w, Msg::entries_end);
    (void)w.flush();
    read_requests(r);
    Encoder begin;
    begin.u64(0).u8(static_cast<std::uint8_t>(TransferKind::whole));
    send(w, Msg::file_begin, begin.take());
    send(w, Msg::data, "ab");
    send_done(w);
  });
  REQUIRE_FALSE(received.ok());
  CHECK_THAT(received.error().message, Catch::Contains("in the middle of a file"));
  CHECK_FALSE(fs::exists(dir.path / "root" / "a.pt"));
}

TEST_CASE("Every requested file ends written or aborted with its reason among the errors", "[sync][security]") {
  TempDir dir;
  auto received = receive_from(dir.path / "root", [](FrameWriter& w, FrameReader& r) {
    send_entries(w, {file_entry("a.pt", 3), file_entry("b.pt", 3), file_entry("c.pt", 3)});
    send(w, Msg::entries_end);
    (void)w.flush();
    REQUIRE(read_requests(r).size() == 3);
    send_file(w, 0, "aaa");
    Encoder abort;
    abort.u64(1).str("vanished on the host");
    send(w, Msg::file_abort, abort.take());
    send_file(w, 2, "ccc");
    send_done(w);
  });
  REQUIRE(received.ok());
  CHECK(received->files_transferred == 2);
  REQUIRE(received->errors.size() == 1);
  CHECK_THAT(received->errors[0], Catch::Contains("b.pt: the sender could not send it: vanished on the host"));
  CHECK(read_file(dir.path / "root" / "a.pt") == "aaa");
  CHECK(read_file(dir.path / "root" / "c.pt") == "ccc");
}

TEST_CASE("The receiver logs at most k_max_report_errors warnings and one line counting the rest", "[sync][security]") {
  constexpr std::size_t k_extra = 500;
  const std::size_t refused = limits::k_max_report_errors + k_extra;
  std::ostringstream captured;
  const auto saved = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured)));
  TempDir dir;
  auto received = receive_from(dir.path / "root", [&](FrameWriter& w, FrameReader& r) {
    std::vector<FileEntry> batch;
    for (std::size_t i = 0; i < refused; ++i) batch.push_back(file_entry("../escape-" + std::to_string(i), 1));
    send_entries(w, batch);
    send(w, Msg::entries_end);
    (void)w.flush();
    CHECK(read_requests(r).empty());
    send_done(w);
  });
  spdlog::default_logger()->flush();
  spdlog::set_default_logger(saved);
  REQUIRE(received.ok());
  CHECK(received->errors.size() == limits::k_max_report_errors);
  CHECK(received->errors_omitted == k_extra);
  CHECK_THAT(stats_to_json(*received), Catch::Contains("\"errors\": " + std::to_string(refused)));
  std::vector<std::string> lines;
  std::istringstream in(captured.str());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == limits::k_max_report_errors + 1);
  CHECK_THAT(lines.back(), Catch::Contains("... and 500 more errors"));
}

// --- push: the sender (the laptop) against a receiver on a host ----------------------------

TEST_CASE("A report before the receiver's last request is an error naming the receiver", "[sync][security]") {
  TempDir dir;
  const fs::path source = make_source(dir, 3, 10);
  auto sent = send_to(source, [](const Frame& frame, FrameWriter& w) {
    if (!is(frame, Msg::entries_end)) return true;
    send(w, Msg::req_whole, u64(0));
    send(w, Msg::report, report(3));  // no REQS_END
    return false;
  });
  REQUIRE_FALSE(sent.ok());
  CHECK(sent.error().kind == ErrorKind::protocol);
  CHECK_THAT(sent.error().message, Catch::Contains("the receiver reported before it had finished asking"));
}

TEST_CASE("A report before the requested files were sent is an error", "[sync][security]") {
  TempDir dir;
  // 3 x 4 MiB: far more than a pipe holds, so the sender is still sending when the report comes.
  const fs::path source = make_source(dir, 3, 4 << 20);
  auto sent = send_to(source, [](const Frame& frame, FrameWriter& w) {
    if (!is(frame, Msg::entries_end)) return true;
    for (std::uint64_t i = 0; i < 3; ++i) send(w, Msg::req_whole, u64(i));
    send(w, Msg::reqs_end);
    send(w, Msg::report, report(3));
    return false;
  });
  REQUIRE_FALSE(sent.ok());
  CHECK_THAT(sent.error().message,
             Catch::Contains("the receiver reported before every file it asked for had been sent"));
}

TEST_CASE("A report counting files that were never sent is an error", "[sync][security]") {
  TempDir dir;
  const fs::path source = make_source(dir, 3, 10);
  auto sent = send_to(source, [](const Frame& frame, FrameWriter& w) {
    if (is(frame, Msg::entries_end)) {
      send(w, Msg::req_whole, u64(0));  // one of the three
      send(w, Msg::reqs_end);
    } else if (is(frame, Msg::done)) {
      send(w, Msg::report, report(3));
      return false;
    }
    return true;
  });
  REQUIRE_FALSE(sent.ok());
  CHECK_THAT(sent.error().message, Catch::Contains("the receiver reports 3 files written, but only 1 were sent"));
}

TEST_CASE("A clean report that leaves sent files uncounted is an error", "[sync][security]") {
  TempDir dir;
  const fs::path source = make_source(dir, 3, 10);
  auto sent = send_to(source, [](const Frame& frame, FrameWriter& w) {
    if (is(frame, Msg::entries_end)) {
      for (std::uint64_t i = 0; i < 3; ++i) send(w, Msg::req_whole, u64(i));
      send(w, Msg::reqs_end);
    } else if (is(frame, Msg::done)) {
      send(w, Msg::report, report(0));
      return false;
    }
    return true;
  });
  REQUIRE_FALSE(sent.ok());
  CHECK_THAT(sent.error().message, Catch::Contains("reports no error, but only 0 of the 3 files sent written"));
}

TEST_CASE("An honest report after every file was sent is the push's result", "[sync][security]") {
  TempDir dir;
  const fs::path source = make_source(dir, 3, 10);
  for (const bool with_error : {false, true}) {
    INFO("with_error " << with_error);
    auto sent = send_to(source, [&](const Frame& frame, FrameWriter& w) {
      if (is(frame, Msg::entries_end)) {
        for (std::uint64_t i = 0; i < 3; ++i) send(w, Msg::req_whole, u64(i));
        send(w, Msg::reqs_end);
      } else if (is(frame, Msg::done)) {
        send(w, Msg::report, with_error ? report(2, {"f1: disk full"}) : report(3));
        return false;
      }
      return true;
    });
    REQUIRE(sent.ok());
    CHECK(sent->files_transferred == (with_error ? 2u : 3u));
    CHECK(sent->errors.size() == (with_error ? 1u : 0u));
  }
}

TEST_CASE("A request after the receiver's REQS_END is an error", "[sync][security]") {
  TempDir dir;
  const fs::path source = make_source(dir, 3, 10);
  auto sent = send_to(source, [](const Frame& frame, FrameWriter& w) {
    if (!is(frame, Msg::entries_end)) return true;
    send(w, Msg::reqs_end);
    send(w, Msg::req_whole, u64(0));
    return false;
  });
  REQUIRE_FALSE(sent.ok());
  CHECK_THAT(sent.error().message, Catch::Contains("bad request from receiver"));
}
