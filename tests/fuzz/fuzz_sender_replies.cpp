// The sender facing a hostile receiver: the input is everything the receiver says (requests,
// signatures, reports). The sender must return, never crash, hang or upload more than it offered.
// A push that ends "ok" answered every request before the report, and its result is no more
// than what it sent: a receiver that reported at once once made a push print "up to date".
#include <choline/sync/protocol.hpp>
#include <choline/sync/sync.hpp>

#include "fuzz_support.hpp"

#include <cstdlib>

using namespace choline;

namespace {

// A small project to offer: a few files, one large enough for deltas, a directory, a symlink.
std::filesystem::path make_source() {
  const auto dir = std::filesystem::temp_directory_path() / ("choline-fuzz-source-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "a.txt") << "alpha";
  std::ofstream(dir / "sub" / "b.txt") << "beta";
  std::string big(20000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  std::ofstream(dir / "big.bin", std::ios::binary) << big;
  std::error_code ec;
  std::filesystem::create_symlink("a.txt", dir / "link", ec);
  return dir;
}

std::uint64_t count(std::map<std::uint8_t, std::uint64_t>& frames, sync::Msg type) {
  return frames[static_cast<std::uint8_t>(type)];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path source = make_source();
  static const std::uint64_t offered = 5 + 4 + 20000;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz::InputStream stream(input);
  // The report comes after the sender's DONE, as from a real receiver (when the receiver ended
  // its requests before it: otherwise the sender would wait for more).
  bool requests_ended = false;
  for (const auto& frame : fuzz::frames_of(input)) {
    if (frame.type == static_cast<std::uint8_t>(sync::Msg::reqs_end)) requests_ended = true;
    if (frame.type != static_cast<std::uint8_t>(sync::Msg::report)) continue;
    if (requests_ended) stream.gate(frame.offset, static_cast<std::uint8_t>(sync::Msg::done));
    break;
  }
  auto stats = sync::run_sender(source, stream, {});
  // Each file at most once, plus framing and the file list: never a multiple of the tree.
  if (stream.written() > 2 * offered + 64 * 1024) std::abort();
  if (stats.ok() && stream.output()) {
    auto asked = fuzz::count_frames(input, static_cast<int>(sync::Msg::report));
    auto said = fuzz::count_frames(*stream.output());
    const std::uint64_t requested = count(asked, sync::Msg::req_whole) + count(asked, sync::Msg::req_delta);
    const std::uint64_t sent = count(said, sync::Msg::file_end);
    const std::uint64_t aborted = count(said, sync::Msg::file_abort);
    // The report came after the receiver's last request and after every request was answered.
    if (count(asked, sync::Msg::reqs_end) != 1) std::abort();
    if (sent + aborted != requested || count(said, sync::Msg::done) != 1) std::abort();
    if (stats->files_transferred > sent) std::abort();
    if (stats->errors.empty() && (stats->files_transferred != sent || aborted > 0)) std::abort();
  }
  return 0;
}
