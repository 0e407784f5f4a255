#include "sync_fixtures.hpp"

using namespace choline;
using namespace choline::sync;
using namespace choline::testing;

namespace {

struct Recorded {
  std::vector<SyncProgress> calls;
};

// One sync with a progress callback on each side (they run on different threads).
void sync_recording(const fs::path& source, const fs::path& destination, Recorded& sent, Recorded& received) {
  SyncOptions sender_options, receiver_options;
  sender_options.progress = [&](const SyncProgress& p) { sent.calls.push_back(p); };
  receiver_options.progress = [&](const SyncProgress& p) { received.calls.push_back(p); };
  auto pair = fakes::make_stream_pair(std::numeric_limits<std::uint64_t>::max());
  Result<SyncStats> got = make_error(ErrorKind::internal, "not run");
  std::thread receiver([&] {
    got = run_receiver(destination, *pair.b, receiver_options);
    pair.b.reset();
  });
  auto stats = run_sender(source, *pair.a, sender_options);
  pair.a.reset();
  receiver.join();
  REQUIRE(stats.ok());
  REQUIRE(got.ok());
}

}  // namespace

TEST_CASE("Sync progress: the sender counts files and bytes against what was asked", "[sync][progress]") {
  TempDir src, dst;
  write_file(src.path / "small.txt", "hello\n");
  write_file(src.path / "big.bin", random_bytes(1'000'000, 7));
  age_tree(src.path);

  Recorded sent, received;
  sync_recording(src.path, dst.path, sent, received);
  REQUIRE_FALSE(sent.calls.empty());
  const SyncProgress& last = sent.calls.back();
  CHECK(last.files_done == 2);
  CHECK(last.files_wanted == 2);
  CHECK(last.bytes_done == 1'000'006);
  CHECK(last.bytes_wanted == 1'000'006);
  // A megabyte is many data chunks: the sender reports inside a file, never going backwards.
  CHECK(sent.calls.size() > 3);
  for (std::size_t i = 1; i < sent.calls.size(); ++i) {
    CHECK(sent.calls[i].bytes_done >= sent.calls[i - 1].bytes_done);
    CHECK(sent.calls[i].bytes_done <= sent.calls[i].bytes_wanted + 64 * 1024);
  }
  // The receiver does not know what it will be sent: it counts what arrived.
  REQUIRE_FALSE(received.calls.empty());
  CHECK(received.calls.back().files_done == 2);
  CHECK(received.calls.back().bytes_done >= 1'000'006);
  CHECK(received.calls.back().files_wanted == 0);

  // Nothing changed: nothing is asked, so nothing is done.
  Recorded warm_sent, warm_received;
  sync_recording(src.path, dst.path, warm_sent, warm_received);
  for (const auto& call : warm_sent.calls) CHECK(call.files_done == 0);
}
