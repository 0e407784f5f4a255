// The receiver faces a hostile sender: whatever it sends, nothing may appear outside the root,
// and the receiver must end (with an error or a report), never crash or hang.
#include <choline/sync/protocol.hpp>
#include <choline/util/hash.hpp>

#include "sync_fixtures.hpp"

using namespace choline;
using namespace choline::sync;
using namespace choline::testing;

namespace {

// Plays a scripted sender against a real receiver. `script` writes frames; replies from the
// receiver are drained on a thread so the receiver never blocks on us.
struct HostileSession {
  TempDir sandbox;  // root lives inside; everything else in the sandbox must stay untouched
  fs::path root = sandbox.path / "root";
  fs::path outside = sandbox.path / "outside";
  Result<SyncStats> received = make_error(ErrorKind::internal, "not run");
  std::string replies;
  SyncOptions options;  // the receiver's own

  HostileSession() {
    fs::create_directories(root);
    fs::create_directories(outside);
    write_file(outside / "secret.txt", "do not touch");
  }

  template <class Script>
  void run(Script script) {
    auto pair = fakes::make_stream_pair();
    std::thread receiver([&] {
      received = run_receiver(root, *pair.b, options);
      pair.b.reset();
    });
    std::thread drain([&] {
      char buffer[65536];
      for (;;) {
        auto n = pair.a->read_some(buffer, sizeof buffer);
        if (!n || *n == 0) break;
        replies.append(buffer, *n);
      }
    });
    FrameWriter writer(*pair.a);
    script(writer, *pair.a);
    (void)writer.flush();
    pair.a->close_write();
    receiver.join();
    drain.join();
  }

  void require_outside_untouched() {
    std::vector<std::string> names;
    for (auto& item : fs::recursive_directory_iterator(sandbox.path)) {
      const auto relative = item.path().lexically_relative(sandbox.path).string();
      if (relative.rfind("root", 0) != 0) names.push_back(relative);
    }
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"outside", "outside/secret.txt"});
    CHECK(read_file(outside / "secret.txt") == "do not touch");
  }
};

void hello(FrameWriter& w) { (void)w.write(static_cast<std::uint8_t>(Msg::hello), encode_hello()); }

void entries(FrameWriter& w, const std::vector<FileEntry>& list) {
  Encoder batch;
  batch.u32(static_cast<std::uint32_t>(list.size()));
  for (const auto& e : list) encode_entry(batch, e);
  (void)w.write(static_cast<std::uint8_t>(Msg::entries), batch.bytes());
}

void frame(FrameWriter& w, Msg type, const std::string& payload = {}) { (void)w.write(static_cast<std::uint8_t>(type), payload); }

std::string file_begin(std::uint64_t index, TransferKind kind = TransferKind::whole) {
  Encoder e;
  e.u64(index).u8(static_cast<std::uint8_t>(kind));
  return e.take();
}

FileEntry file(const std::string& path, std::uint64_t size = 4) { return {path, EntryType::file, 0644, size, 0, "", false}; }

}  // namespace

TEST_CASE("Escaping paths are refused per entry and their data is never accepted", "[sync][security]") {
  HostileSession session;
  session.run([&](FrameWriter& w, transport::Stream&) {
    hello(w);
    entries(w, {file("../outside/pwned"), file("/tmp/pwned-abs"), file("a/../../outside/x"), file("ok.txt")});
    frame(w, Msg::entries_end);
    (void)w.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    frame(w, Msg::file_begin, file_begin(0));  // data for a refused entry
    frame(w, Msg::data, "evil");
  });
  REQUIRE_FALSE(session.received.ok());
  CHECK(session.received.error().kind == ErrorKind::protocol);
  CHECK_THAT(session.received.error().message, Catch::Contains("not requested"));
  CHECK_FALSE(fs::exists("/tmp/pwned-abs"));
  session.require_outside_untouched();
}

TEST_CASE("A symlink escaping the root is refused, and writes never follow a planted symlink", "[sync][security]") {
  HostileSession session;
  fs::create_symlink(session.outside, session.root / "planted");
  session.run([&](FrameWriter& w, transport::Stream&) {
    hello(w);
    entries(w, {FileEntry{"evil", EntryType::symlink, 0777, 0, 0, "../outside", false},
                FileEntry{"abs", EntryType::symlink, 0777, 0, 0, "/etc", false}, file("planted/pwned"),
                file("evil/pwned")});
    frame(w, Msg::entries_end);
    (void)w.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // evil/pwned lands in a real directory "evil" and is asked for: every request is answered.
    Encoder abort;
    abort.u64(3).str("not sending it");
    frame(w, Msg::file_abort, abort.take());
    Encoder done;
    done.u64(0).u64(0);
    frame(w, Msg::done, done.take());
  });
  REQUIRE(session.received.ok());
  CHECK(session.received->errors.size() >= 3);
  CHECK_FALSE(fs::is_symlink(session.root / "evil"));
  CHECK_FALSE(fs::exists(session.root / "abs"));
  session.require_outside_untouched();
}

TEST_CASE("More data than the announced size burns the file, the transfer goes on", "[sync][security]") {
  HostileSession session;
  session.run([&](FrameWriter& w, transport::Stream&) {
    hello(w);
    entries(w, {file("small.txt", 4), file("fine.txt", 2)});
    frame(w, Msg::entries_end);
    (void)w.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    frame(w, Msg::file_begin, file_begin(0));
    frame(w, Msg::data, std::string(100'000, 'x'));
    Encoder end;
    end.u64(4).raw(std::string(16, '\0'));
    frame(w, Msg::file_end, end.take());
    frame(w, Msg::file_begin, file_begin(1));
    frame(w, Msg::data, "ok");
    util::Hash128 hash;
    hash.update("ok", 2);
    Encoder end2;
    end2.u64(2).raw(hash.digest());
    frame(w, Msg::file_end, end2.take());
    Encoder done;
    done.u64(0).u64(0);
    frame(w, Msg::done, done.take());
  });
  REQUIRE(session.received.ok());
  CHECK_FALSE(fs::exists(session.root / "small.txt"));
  CHECK(read_file(session.root / "fine.txt") == "ok");
  REQUIRE(session.received->errors.size() == 1);
  CHECK_THAT(session.received->errors[0], Catch::Contains("more data than the file's announced size"));
}

TEST_CASE("A wrong hash keeps the old file", "[sync][security]") {
  HostileSession session;
  write_file(session.root / "f.txt", "old!");
  session.run([&](FrameWriter& w, transport::Stream&) {
    hello(w);
    entries(w, {file("f.txt", 4)});
    frame(w, Msg::entries_end);
    (void)w.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    frame(w, Msg::file_begin, file_begin(0));
    frame(w, Msg::data, "new!");
    Encoder end;
    end.u64(4).raw(std::string(16, 'h'));
    frame(w, Msg::file_end, end.take());
    Encoder done;
    done.u64(0).u64(0);
    frame(w, Msg::done, done.take());
  });
  REQUIRE(session.received.ok());
  CHECK(read_file(session.root / "f.txt") == "old!");
  REQUIRE(session.received->errors.size() == 1);
  CHECK_THAT(session.received->errors[0], Catch::Contains("hash mismatch"));
}

TEST_CASE("Random and malformed frames never crash the receiver or escape the root", "[sync][security]") {
  std::mt19937 rng(20261123);
  const std::vector<std::string> paths = {"ok.txt", "d", "d/f", "../x", "/abs", "a/../../b", "", std::string(300, 'n'),
                                          std::string("nul\0byte", 8), "d/../../outside/secret.txt", "outside", "..",
                                          ".", "deep/a/b/c/d"};
  for (int round = 0; round < 60; ++round) {
    INFO("round " << round);
    HostileSession session;
    session.run([&](FrameWriter& w, transport::Stream& raw) {
      if (rng() % 8 != 0) hello(w);
      const int frames = 1 + static_cast<int>(rng() % 12);
      for (int i = 0; i < frames; ++i) {
        switch (rng() % 9) {
          case 0:
          case 1: {
            std::vector<FileEntry> list;
            for (unsigned k = 0; k < 1 + rng() % 5; ++k) {
              FileEntry e = file(paths[rng() % paths.size()], rng() % 64);
              e.type = static_cast<EntryType>(1 + rng() % 3);
              if (e.type == EntryType::symlink) e.link_target = paths[rng() % paths.size()];
              list.push_back(e);
            }
            entries(w, list);
            break;
          }
          case 2: frame(w, Msg::entries_end); break;
          case 3: frame(w, Msg::file_begin, file_begin(rng() % 6, static_cast<TransferKind>(1 + rng() % 2))); break;
          case 4: frame(w, Msg::data, random_bytes(rng() % 200, rng())); break;
          case 5: {
            Encoder end;
            end.u64(rng() % 64).raw(random_bytes(16, rng()));
            frame(w, Msg::file_end, end.take());
            break;
          }
          case 6: {
            Encoder done;
            done.u64(rng()).u64(rng());
            frame(w, Msg::done, done.take());
            break;
          }
          case 7: (void)w.write(static_cast<std::uint8_t>(rng() % 256), random_bytes(rng() % 100, rng())); break;
          default: {
            // Raw bytes outside any frame structure, often a nonsense length header.
            const std::string garbage = random_bytes(1 + rng() % 40, rng());
            (void)w.flush();
            (void)raw.write_all(garbage.data(), garbage.size());
            break;
          }
        }
        (void)w.flush();
      }
    });
    session.require_outside_untouched();
    CHECK_FALSE(fs::exists("/abs"));
  }
}
