// The receiver facing a hostile sender: the input is everything the sender says. Nothing may be
// written outside the root, and the receiver must return (error or report), never crash or hang.
#include <choline/sync/sync.hpp>

#include "fuzz_support.hpp"

using namespace choline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::Sandbox sandbox;
  fuzz::InputStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  sync::SyncOptions options;
  options.delete_extraneous = (size % 2) == 0;  // the receiver's own choice: both paths get fuzzed
  (void)sync::run_receiver(sandbox.fresh_root(), stream, options);
  sandbox.require_outside_untouched();
  return 0;
}
