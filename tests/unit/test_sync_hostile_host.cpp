// A rented host is a stranger: each case here is something a hostile host was found to do to
// the laptop (or a hostile laptop to a host) before it was fixed: hang a push, crash the laptop,
// burn CPU, delete the laptop's files, exhaust file handles, hit undefined behaviour, make the
// laptop hold, write or upload far more than the transfer is worth, hide a run, or wait forever.
// The numbers in the names follow issue 16's list.
#include <choline/agent/log_stream.hpp>
#include <choline/limits.hpp>
#include <choline/records/run_record.hpp>
#include <choline/spec/config.hpp>
#include <choline/sync/delta.hpp>
#include <choline/sync/ignore.hpp>
#include <choline/sync/protocol.hpp>
#include <choline/util/files.hpp>
#include <choline/util/interrupt.hpp>
#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include "sync_fixtures.hpp"

#include <librsync.h>

#include <csignal>
#include <fcntl.h>
#include <functional>
#include <sys/resource.h>
#include <type_traits>

using namespace choline;
using namespace choline::sync;
using namespace choline::testing;

namespace {

void send(FrameWriter& w, Msg type, const std::string& payload = {}) {
  (void)w.write(static_cast<std::uint8_t>(type), payload);
}

std::string entries_frame(const std::vector<FileEntry>& list) {
  Encoder batch;
  batch.u32(static_cast<std::uint32_t>(list.size()));
  for (const auto& e : list) encode_entry(batch, e);
  return batch.take();
}

FileEntry file_entry(const std::string& path, std::uint64_t size) {
  return {path, EntryType::file, 0644, size, 1'600'000'000'000'000'000, "", false};
}

std::string u64(std::uint64_t v) {
  Encoder e;
  e.u64(v);
  return e.take();
}

std::string report_frame_payload(std::uint64_t transferred = 0) {
  Encoder e;
  e.u64(transferred).u64(0).u32(0);
  return e.take();
}

// Reads the other end to its end (or error) on a thread, as a peer that keeps reading.
struct Drain {
  std::thread thread;
  std::uint64_t bytes = 0;
  explicit Drain(transport::Stream& stream) {
    thread = std::thread([this, &stream] {
      char buffer[65536];
      for (;;) {
        auto n = stream.read_some(buffer, sizeof buffer);
        if (!n || *n == 0) break;
        bytes += *n;
      }
    });
  }
  ~Drain() {
    if (thread.joinable()) thread.join();
  }
};

fs::path make_source(const TempDir& dir, int files = 3) {
  const fs::path source = dir.path / "source";
  for (int i = 0; i < files; ++i) write_file(source / ("f" + std::to_string(i) + ".txt"), "content " + std::to_string(i));
  age_tree(source);
  return source;
}

void send_done(FrameWriter& w) {
  Encoder done;
  done.u64(0).u64(0);
  send(w, Msg::done, done.take());
}

// A real receiver into `root` against a scripted sender: `script` writes the sender's frames (it
// may pause between them); the receiver's replies are read and dropped, as by a sender that
// keeps reading. Returns what the receiver returned.
Result<SyncStats> receive_from_script(const fs::path& root, const SyncOptions& options,
                                      const std::function<void(FrameWriter&)>& script) {
  auto pair = fakes::make_stream_pair();
  Result<SyncStats> received = make_error(ErrorKind::internal, "not run");
  std::thread receiver([&] {
    received = run_receiver(root, *pair.b, options);
    pair.b.reset();  // as the receiving process exiting: the drain below sees the end
  });
  {
    Drain drain(*pair.a);
    FrameWriter w(*pair.a);
    script(w);
    (void)w.flush();
    receiver.join();
    pair.a->close_write();
  }
  return received;
}

}  // namespace

TEST_CASE("1: a receiver that reports at once ends the push with an error instead of hanging it", "[sync][security]") {
  TempDir dir;
  const fs::path source = make_source(dir);
  auto pair = fakes::make_stream_pair();
  std::thread receiver([&] {
    // One REPORT frame (1f 14000000 and 20 zero bytes) before anything was asked for.
    FrameWriter w(*pair.b);
    send(w, Msg::report, report_frame_payload());
    (void)w.flush();
    Drain drain(*pair.b);
  });
  auto sent = run_sender(source, *pair.a, {});
  pair.a->close_write();
  receiver.join();
  // A report before any request cannot be true: once taken at its word ("up to date", exit 0).
  REQUIRE_FALSE(sent.ok());
  CHECK(sent.error().kind == ErrorKind::protocol);
  CHECK_THAT(sent.error().message, Catch::Contains("the receiver reported before it had finished asking"));
}

TEST_CASE("1: Ctrl-C ends a push that waits on a receiver that never answers", "[sync][security]") {
  TempDir dir;
  const fs::path source = make_source(dir);
  auto pair = fakes::make_stream_pair();
  Drain drain(*pair.b);  // reads everything, answers nothing
  util::install_interrupt_handler();
  util::clear_interrupt();
  std::thread ctrl_c([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::raise(SIGINT);
  });
  auto sent = run_sender(source, *pair.a, {});
  ctrl_c.join();
  util::clear_interrupt();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  pair.a->close_write();
  REQUIRE_FALSE(sent.ok());
  CHECK(sent.error().kind == ErrorKind::interrupted);
  pair.b->close_write();
}

TEST_CASE("2: a state frame nested 140,000 deep is refused, not a stack overflow", "[sync][security]") {
  const std::string deep = "{\"status\":\"running\",\"a\":" + std::string(140000, '[') + std::string(140000, ']') + "}";
  auto pair = fakes::make_stream_pair();
  std::thread host([&] {
    FrameWriter w(*pair.a);
    (void)w.write(static_cast<std::uint8_t>(agent::LogMsg::state), deep);
    (void)w.flush();
  });
  FrameReader reader(*pair.b);
  auto state = agent::receive_logs(reader, {[](int, std::uint64_t, std::string_view) { return Status{}; }, nullptr});
  host.join();
  REQUIRE_FALSE(state.ok());
  CHECK(state.error().kind == ErrorKind::protocol);
  CHECK_THAT(state.error().message, Catch::Contains("nested deeper than"));
}

TEST_CASE("2: JSON depth is measured without recursion, strings and comments skipped", "[util][security]") {
  CHECK(util::json_depth("{\"a\":[1,{\"b\":[]}]}", 64) == 4);
  CHECK(util::json_depth("\"[[[[[[\"", 64) == 0);
  CHECK(util::json_depth("[\"\\\"[[[\"]", 64) == 1);
  CHECK(util::json_depth("// [[[[\n[/* {{{{ */]", 64, true) == 1);
  CHECK(util::json_depth(std::string(1'000'000, '['), 64) == 65);
  CHECK_FALSE(util::parse_json(std::string(100, '[') + std::string(100, ']'), 64).ok());
  CHECK(util::parse_json(std::string(64, '[') + std::string(64, ']'), 64).ok());
  const std::string deep_config = "{\"env\": " + std::string(200000, '[') + std::string(200000, ']') + "}";
  auto config = spec::parse_config(deep_config, "choline.json");
  REQUIRE_FALSE(config.ok());
  CHECK_THAT(config.error().message, Catch::Contains("nested deeper"));
}

TEST_CASE("3: ignore patterns that made a backtracking matcher exponential match in linear time", "[sync][security]") {
  // `*a` x 8 + `b` against 60 characters took 25 s; x 40 would not have ended.
  std::string pattern;
  for (int i = 0; i < 40; ++i) pattern += "*a";
  pattern += "b";
  const std::string name(60, 'a');
  CHECK_FALSE(glob_match(pattern, name));
  CHECK(glob_match(pattern, std::string(40, 'a') + "b"));
  // Through the rules, as a host's .gitignore would arrive.
  IgnoreRules rules;
  std::string file;
  for (int i = 0; i < 200; ++i) file += pattern + "\n";
  rules.add_file("", file);
  CHECK_FALSE(rules.is_ignored(std::string(255, 'a'), false));
}

TEST_CASE("4: only the receiver decides deletion, whatever the sender asks", "[sync][security]") {
  TempDir dir;
  const fs::path host = dir.path / "host";
  const fs::path laptop = dir.path / "laptop";
  write_file(host / "new.txt", "from the host");
  write_file(laptop / "precious-ckpt-100.pt", "hours of training");
  write_file(laptop / "old" / "notes.txt", "mine");
  age_tree(host);
  SyncOptions host_side;
  host_side.delete_extraneous = true;  // a hostile or confused host asks for deletion
  SyncOptions laptop_side;             // the laptop did not
  auto pair = fakes::make_stream_pair();
  Result<SyncStats> received = make_error(ErrorKind::internal, "not run");
  std::thread receiver([&] {
    received = run_receiver(laptop, *pair.b, laptop_side);
    pair.b.reset();
  });
  auto sent = run_sender(host, *pair.a, host_side);
  pair.a.reset();
  receiver.join();
  REQUIRE(received.ok());
  CHECK(received->files_deleted == 0);
  CHECK(read_file(laptop / "precious-ckpt-100.pt") == "hours of training");
  CHECK(read_file(laptop / "old" / "notes.txt") == "mine");
  CHECK(read_file(laptop / "new.txt") == "from the host");
}

TEST_CASE("5: a sender that stops reading and then sends a bad frame does not deadlock the receiver", "[sync][security]") {
  TempDir dir;
  auto pair = fakes::make_stream_pair();
  Result<SyncStats> received = make_error(ErrorKind::internal, "not run");
  std::thread receiver([&] { received = run_receiver(dir.path / "root", *pair.b, {}); });
  {
    FrameWriter w(*pair.a);
    send(w, Msg::hello, encode_hello());
    // 30,000 missing files: 390 KB of requests, far more than a pipe holds, and nobody reads them.
    std::vector<FileEntry> batch;
    for (int i = 0; i < 30000; ++i) {
      batch.push_back(file_entry("f" + std::to_string(i), 1));
      if (batch.size() == 2000) {
        send(w, Msg::entries, entries_frame(batch));
        batch.clear();
      }
    }
    send(w, Msg::data, "data outside any file");  // the bad frame
    (void)w.flush();
  }
  receiver.join();  // before the fix: forever (main thread in join, generator blocked in a write)
  REQUIRE_FALSE(received.ok());
  CHECK(received.error().kind == ErrorKind::protocol);
  pair.a->close_write();
}

TEST_CASE("6: a tree of 1,500 directories syncs under a file-handle limit of 256", "[sync][security]") {
  TempDir dir;
  const fs::path source = dir.path / "source";
  for (int i = 0; i < 1500; ++i) write_file(source / ("d" + std::to_string(i)) / "sub" / "f.txt", std::to_string(i));
  age_tree(source);
  rlimit saved {};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit lowered = saved;
  lowered.rlim_cur = std::min<rlim_t>(256, saved.rlim_cur);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  auto outcome = run_sync(source, dir.path / "dest");
  ::setrlimit(RLIMIT_NOFILE, &saved);
  REQUIRE(outcome.received.ok());
  CHECK(outcome.received->errors.empty());
  CHECK(outcome.received->files_transferred == 1500);
  CHECK(read_file(dir.path / "dest" / "d1499" / "sub" / "f.txt") == "1499");
}

TEST_CASE("7: extreme mtimes saturate instead of overflowing", "[sync][security]") {
  struct stat st {};
  st.st_mtim.tv_sec = std::numeric_limits<std::int64_t>::min() / 1'000'000'000 - 10;
  CHECK(util::mtime_ns(st) == std::numeric_limits<std::int64_t>::min());
  st.st_mtim.tv_sec = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 + 10;
  CHECK(util::mtime_ns(st) == std::numeric_limits<std::int64_t>::max());
  st.st_mtim.tv_sec = 1'700'000'000;
  st.st_mtim.tv_nsec = 5;
  CHECK(util::mtime_ns(st) == 1'700'000'000'000'000'005);
  const auto ts = util::timespec_from_ns(std::numeric_limits<std::int64_t>::min());
  CHECK(ts.tv_nsec >= 0);
  CHECK(ts.tv_nsec < 1'000'000'000);
}

TEST_CASE("7: a sender's INT64_MIN mtime is applied and read back without undefined behaviour", "[sync][security]") {
  TempDir dir;
  auto received = receive_from_script(dir.path / "root", {}, [](FrameWriter& w) {
    send(w, Msg::hello, encode_hello());
    FileEntry d{"d", EntryType::directory, 0755, 0, std::numeric_limits<std::int64_t>::min(), "", false};
    FileEntry l{"l", EntryType::symlink, 0777, 0, std::numeric_limits<std::int64_t>::min(), "d", false};
    send(w, Msg::entries, entries_frame({d, l}));
    send(w, Msg::entries_end);
    send_done(w);
  });
  REQUIRE(received.ok());
  CHECK(fs::is_directory(dir.path / "root" / "d"));
}

TEST_CASE("7: an exit code of 1e300 in run.json is damage, not an int", "[run][security]") {
  TempDir dir;
  const fs::path run_dir = dir.path / ".choline" / "runs" / "r1";
  fs::create_directories(run_dir);
  write_file(run_dir / "run.json",
             R"({"id":"r1","options":{},"attempts":[{"number":1,"exit_code":1e300}],"events":[]})");
  auto run = records::load_run(run_dir);
  REQUIRE_FALSE(run.ok());
  CHECK_THAT(run.error().message, Catch::Contains("attempts[0].exit_code"));
}

TEST_CASE("8: a file list over the memory budget is refused", "[sync][security]") {
  TempDir dir;
  SyncOptions options;
  options.max_entry_list_bytes = 1 << 20;
  auto received = receive_from_script(dir.path / "root", options, [](FrameWriter& w) {
    send(w, Msg::hello, encode_hello());
    std::vector<FileEntry> batch;
    // 4 MiB of directory names (directories: nothing is requested, only held).
    for (int i = 0; i < 1000; ++i) {
      batch.push_back({"dir-" + std::to_string(i) + "-" + std::string(4000, 'x'), EntryType::directory, 0755, 0, 0, "", false});
      if (batch.size() == 100) {
        send(w, Msg::entries, entries_frame(batch));
        batch.clear();
      }
    }
  });
  REQUIRE_FALSE(received.ok());
  CHECK_THAT(received.error().message, Catch::Contains("over the limit"));
}

TEST_CASE("8: a signature far larger than the file is dropped and the file goes as literal data", "[sync][security]") {
  // A receiver asks for a delta of a 256 KiB file with a 2.3 MB signature (block length 16 over
  // a 1 MiB "old copy"); the sender answers with the whole file as literal data.
  TempDir dir;
  const fs::path source = dir.path / "source";
  const std::string content = random_bytes(256 * 1024, 7);
  write_file(source / "model.bin", content);
  age_tree(source);
  const std::string old_copy = random_bytes(1 << 20, 8);
  std::string signature;
  {
    rs_job_t* job = rs_sig_begin(16, 32, RS_RK_BLAKE2_SIG_MAGIC);
    std::string out(1 << 16, '\0');
    rs_buffers_t buffers{};
    buffers.next_in = const_cast<char*>(old_copy.data());
    buffers.avail_in = old_copy.size();
    buffers.eof_in = 1;
    rs_result result = RS_BLOCKED;
    while (result == RS_BLOCKED) {
      buffers.next_out = out.data();
      buffers.avail_out = out.size();
      result = rs_job_iter(job, &buffers);
      signature.append(out.data(), out.size() - buffers.avail_out);
    }
    rs_job_free(job);
    REQUIRE(result == RS_DONE);
  }
  REQUIRE(signature.size() > 2'000'000);
  CHECK(signature_budget(256 * 1024) == limits::k_min_signature_budget);
  {
    // The loader alone lets it go as it arrives, holding nothing.
    SignatureLoader loader(signature_budget(256 * 1024));
    for (std::size_t at = 0; at < signature.size(); at += 65536) REQUIRE(loader.feed(signature.substr(at, 65536)).ok());
    CHECK(loader.over_budget());
    CHECK(loader.bytes() == 0);
    REQUIRE(loader.finish().ok());
    REQUIRE(loader.signature() != nullptr);
  }
  auto pair = fakes::make_stream_pair();
  std::uint64_t data_bytes = 0;
  std::thread receiver([&] {
    FrameReader reader(*pair.b);
    FrameWriter w(*pair.b);
    for (;;) {
      auto frame = reader.read();
      if (!frame) return;
      if (frame->type == static_cast<std::uint8_t>(Msg::entries_end)) {
        send(w, Msg::req_delta, u64(0));
        for (std::size_t at = 0; at < signature.size(); at += 65536) send(w, Msg::sig, signature.substr(at, 65536));
        send(w, Msg::sig_end);
        send(w, Msg::reqs_end);
        (void)w.flush();
      } else if (frame->type == static_cast<std::uint8_t>(Msg::data)) {
        data_bytes += frame->payload.size();
      } else if (frame->type == static_cast<std::uint8_t>(Msg::done)) {
        send(w, Msg::report, report_frame_payload(1));  // the one file it asked for
        (void)w.flush();
        Drain drain(*pair.b);
        return;
      }
    }
  });
  auto sent = run_sender(source, *pair.a, {});
  pair.a->close_write();
  receiver.join();
  REQUIRE(sent.ok());
  CHECK(sent->bytes_literal == content.size());
  CHECK(sent->bytes_matched == 0);
  CHECK(data_bytes >= content.size());
  CHECK(data_bytes < content.size() + 4096);  // the delta's framing, not the signature's size
}

TEST_CASE("8: a small delta that copies the old copy over and over is refused", "[sync][security]") {
  TempDir dir;
  const std::string basis = random_bytes(256 * 1024, 11);
  write_file(dir.path / "basis", basis);
  std::string repeated;
  for (int i = 0; i < 16; ++i) repeated += basis;  // 4 MiB made of the old copy 16 times
  write_file(dir.path / "new", repeated);
  const int basis_fd = ::open((dir.path / "basis").c_str(), O_RDONLY);
  const int new_fd = ::open((dir.path / "new").c_str(), O_RDONLY);
  const int out_fd = ::open((dir.path / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(basis_fd >= 0);
  std::string signature_bytes;
  REQUIRE(generate_signature(basis_fd, basis.size(), [&](std::string_view c) {
            signature_bytes.append(c);
            return Status{};
          }).ok());
  SignatureLoader loader;
  REQUIRE(loader.feed(signature_bytes).ok());
  REQUIRE(loader.finish().ok());
  std::string delta;
  REQUIRE(generate_delta(loader.signature(), new_fd, [&](std::string_view c) {
            delta.append(c);
            return Status{};
          }).ok());
  CHECK(delta.size() < 64 * 1024);  // tiny on the wire, 4 MiB on disk
  Patcher patcher(basis_fd, out_fd, repeated.size(), copy_budget(basis.size()));
  Status status = patcher.feed(delta);
  if (status) status = patcher.finish();
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.error().message, Catch::Contains("copies more than"));
  CHECK(patcher.written() <= copy_budget(basis.size()));
  ::close(basis_fd);
  ::close(new_fd);
  ::close(out_fd);
}

TEST_CASE("8: a receiver may ask for each file once, so uploads are bounded by what was offered", "[sync][security]") {
  TempDir dir;
  const fs::path source = dir.path / "source";
  write_file(source / "big.bin", random_bytes(1 << 20, 3));
  age_tree(source);
  auto pair = fakes::make_stream_pair();
  std::uint64_t data_bytes = 0;
  std::thread receiver([&] {
    FrameReader reader(*pair.b);
    FrameWriter w(*pair.b);
    for (;;) {
      auto frame = reader.read();
      if (!frame) return;
      if (frame->type == static_cast<std::uint8_t>(Msg::entries_end)) {
        for (int i = 0; i < 2000; ++i) send(w, Msg::req_whole, u64(0));  // 2,000 x 13 bytes
        (void)w.flush();
      } else if (frame->type == static_cast<std::uint8_t>(Msg::data)) {
        data_bytes += frame->payload.size();
      }
    }
  });
  auto sent = run_sender(source, *pair.a, {});
  pair.a->close_write();
  receiver.join();
  REQUIRE_FALSE(sent.ok());
  CHECK_THAT(sent.error().message, Catch::Contains("twice"));
  CHECK(data_bytes <= (1u << 20));
}

TEST_CASE("9: a damaged run.json is listed as damaged, with where and how to stop its hosts", "[run][security]") {
  TempDir dir;
  const fs::path runs = dir.path / ".choline" / "runs";
  const std::vector<std::pair<std::string, std::string>> damaged = {
      {"truncated", R"({"id":"truncated","options":{},"hosts":[{"prov)"},
      {"garbage", "\x01\x02 not json"},
      {"array", "[]"},
      {"types", R"({"id":"types","options":{},"hosts":"none"})"},
      {"deep", std::string(200000, '[') + std::string(200000, ']')},
  };
  for (const auto& [id, text] : damaged) {
    fs::create_directories(runs / id);
    write_file(runs / id / "run.json", text);
  }
  const auto list = records::list_runs(dir.path);
  CHECK(list.runs.empty());
  REQUIRE(list.damaged.size() == damaged.size());
  for (const auto& run : list.damaged) {
    INFO(run.id);
    const std::string advice = records::damaged_run_advice(run);
    CHECK_THAT(advice, Catch::Contains(run.id));
    CHECK_THAT(advice, Catch::Contains("choline stop --orphans"));
    CHECK_THAT(advice, Catch::Contains((runs / run.id).string()));
  }
  auto found = records::find_run(dir.path, "types");
  REQUIRE_FALSE(found.ok());
  CHECK_THAT(found.error().message, Catch::Contains("hosts is not an array"));
}

TEST_CASE("9: a damaged run.json falls back to the version before the last save", "[run][security]") {
  TempDir dir;
  records::RunRecord record;
  record.id = "r2";
  auto created = records::create_run(dir.path, record);
  REQUIRE(created.ok());
  REQUIRE(created->journal(records::JournalEvent::host_created, {{"id", "vast-42"}}).ok());
  REQUIRE(fs::exists(created->previous_file()));
  REQUIRE(created->journal(records::JournalEvent::launched).ok());
  write_file(created->file(), "{\"id\": \"r2\", \"hosts\": [");  // cut mid-write by a dying disk
  auto loaded = records::load_run(created->dir);
  REQUIRE(loaded.ok());
  CHECK(loaded->events.size() == 2);  // created, host_created: one event behind, not lost
}

TEST_CASE("10: a Decoder cannot be made from a temporary string", "[sync][security]") {
  static_assert(!std::is_constructible_v<Decoder, std::string&&>);
  static_assert(std::is_constructible_v<Decoder, const std::string&>);
  static_assert(std::is_constructible_v<Decoder, std::string_view>);
}

TEST_CASE("11: a silent sender or receiver is given up after the idle timeout", "[sync][security]") {
  TempDir dir;
  SyncOptions options;
  options.idle_timeout = std::chrono::milliseconds(300);
  {
    auto pair = fakes::make_stream_pair();
    FrameWriter w(*pair.a);
    send(w, Msg::hello, encode_hello());  // then nothing, but the connection stays open
    (void)w.flush();
    auto received = run_receiver(dir.path / "root", *pair.b, options);
    REQUIRE_FALSE(received.ok());
    CHECK(received.error().kind == ErrorKind::timeout);
    CHECK_THAT(received.error().message, Catch::Contains("idle timeout"));
  }
  {
    const fs::path source = make_source(dir);
    auto pair = fakes::make_stream_pair();
    Drain drain(*pair.b);  // reads, never answers
    auto sent = run_sender(source, *pair.a, options);
    REQUIRE_FALSE(sent.ok());
    CHECK(sent.error().kind == ErrorKind::timeout);
    pair.a->close_write();
    pair.b->close_write();
  }
}

TEST_CASE("11: keepalive frames from a busy peer count as life and are otherwise ignored", "[sync][security]") {
  TempDir dir;
  SyncOptions options;
  options.idle_timeout = std::chrono::milliseconds(300);
  auto received = receive_from_script(dir.path / "root", options, [](FrameWriter& w) {
    send(w, Msg::hello, encode_hello());
    // 800 ms of hashing a large file on the sender's side, longer than the idle timeout.
    for (int i = 0; i < 8; ++i) {
      send(w, Msg::keepalive);
      (void)w.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    send(w, Msg::entries, entries_frame({{"d", EntryType::directory, 0755, 0, 0, "", false}}));
    send(w, Msg::entries_end);
    send_done(w);
  });
  REQUIRE(received.ok());
  CHECK(fs::is_directory(dir.path / "root" / "d"));
}

TEST_CASE("Names and messages from a peer reach the terminal with control characters escaped", "[sync][security]") {
  CHECK(util::printable("ok name.txt") == "ok name.txt");
  CHECK(util::printable("a\x1b]52;c;ZXZpbA==\x07z") == "a\\x1b]52;c;ZXZpbA==\\x07z");
  CHECK(util::printable(std::string(300, 'n'), 10) == "nnnnnnnnnn...");
  TempDir dir;
  auto received = receive_from_script(dir.path / "root", {}, [](FrameWriter& w) {
    send(w, Msg::hello, encode_hello());
    // An unsafe name that would clear the screen and retitle the terminal if printed raw.
    send(w, Msg::entries, entries_frame({file_entry("../\x1b[2J\x1b]0;owned\x07", 1)}));
    send(w, Msg::entries_end);
    send_done(w);
  });
  REQUIRE(received.ok());
  REQUIRE(received->errors.size() == 1);
  CHECK(received->errors[0].find('\x1b') == std::string::npos);
  CHECK_THAT(received->errors[0], Catch::Contains("\\x1b[2J"));
}

TEST_CASE("A number too large for a double is an error, not an exception (found by fuzz_choline_json)", "[util][security]") {
  CHECK_FALSE(util::parse_json("[1e999]", 64).ok());
  auto config = spec::parse_config("{\"max_price\": 1e999}", "choline.json");
  REQUIRE_FALSE(config.ok());
  CHECK(config.error().kind == ErrorKind::usage);
}

TEST_CASE("A host's invalid UTF-8 in a journaled message cannot make run.json unwritable", "[run][security]") {
  TempDir dir;
  records::RunRecord record;
  record.id = "r3";
  auto created = records::create_run(dir.path, record);
  REQUIRE(created.ok());
  // A pull error naming a file whose name is not UTF-8: nlohmann's dump() throws on it.
  REQUIRE(created->journal(records::JournalEvent::attempt_ended, {{"reason", std::string("cannot pull ckpt-\xff\xfe.pt")}}).ok());
  auto loaded = records::load_run(created->dir);
  REQUIRE(loaded.ok());
  CHECK(loaded->events.size() == 2);
}

TEST_CASE("Worker log lines keep their colours and lose every other escape sequence", "[run][security]") {
  const std::string red_word = "\x1b[31merror\x1b[0m";
  CHECK(util::terminal_safe(red_word, true) == red_word);
  CHECK(util::terminal_safe(red_word, false) == "error");
  // Clear the screen, move the cursor, retitle the window, write the clipboard (OSC 52), DCS.
  CHECK(util::terminal_safe("a\x1b[2Jb\x1b[10;1Hc\x1b]0;owned\x07" "d\x1b]52;c;ZXZpbA==\x1b\\e\x1bPq#0\x1b\\f", true) ==
        "abcdef");
  CHECK(util::terminal_safe("tab\tkept, bell\a and backspace\b gone", true) == "tab\tkept, bell and backspace gone");
  // A progress bar redrawn with carriage returns shows its last state; CRLF output keeps its text.
  CHECK(util::terminal_safe("\r 10%|#  |\r 50%|## |\r100%|###|", true) == "100%|###|");
  CHECK(util::terminal_safe("windows line\r", true) == "windows line");
  CHECK(util::terminal_safe("c1 \xc2\x9b" "2J csi", true) == "c1 2J csi");
  CHECK(util::terminal_safe("caf\xc3\xa9 stays", true) == "caf\xc3\xa9 stays");
  CHECK(util::terminal_safe("cut \x1b[31", true) == "cut ");
  CHECK(util::terminal_safe("cut \x1b]0;title", true) == "cut ");
}
