// The receiver facing a hostile sender: the input is everything the sender says. Nothing may be
// written outside the root, and the receiver must return (error or report), never crash or hang.
// A receive that ends "ok" has accounted for every file it asked for: written, or counted among
// its errors (a DONE with requests unanswered once made it report success with nothing written).
#include <choline/sync/protocol.hpp>
#include <choline/sync/sync.hpp>

#include "fuzz_support.hpp"

using namespace choline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::Sandbox sandbox;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz::InputStream stream(input);
  // Files come after the receiver asked for them, as from a real sender.
  for (const auto& frame : fuzz::frames_of(input)) {
    if (frame.type != static_cast<std::uint8_t>(sync::Msg::entries_end)) continue;
    stream.gate(frame.end, static_cast<std::uint8_t>(sync::Msg::reqs_end));
    break;
  }
  sync::SyncOptions options;
  options.delete_extraneous = (size % 2) == 0;  // the receiver's own choice: both paths get fuzzed
  auto stats = sync::run_receiver(sandbox.fresh_root(), stream, options);
  sandbox.require_outside_untouched();
  if (stats.ok() && stream.output()) {
    auto said = fuzz::count_frames(*stream.output());
    const std::uint64_t requested =
        said[static_cast<std::uint8_t>(sync::Msg::req_whole)] + said[static_cast<std::uint8_t>(sync::Msg::req_delta)];
    const std::uint64_t accounted = stats->files_transferred + stats->errors.size() + stats->errors_omitted;
    if (accounted < requested) std::abort();
  }
  return 0;
}
