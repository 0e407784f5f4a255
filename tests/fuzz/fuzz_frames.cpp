// The frame layer and the decoder: any byte stream gives frames or an error, never a crash or an
// allocation past the frame limit.
#include <choline/sync/wire.hpp>

#include "fuzz_support.hpp"

using namespace choline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::InputStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  sync::FrameReader reader(stream);
  for (int frames = 0; frames < 1000; ++frames) {
    auto frame = reader.read();
    if (!frame) break;
    if (frame->payload.size() > sync::k_max_frame_payload) std::abort();
    // Decode the payload as each message shape would.
    sync::Decoder in(frame->payload);
    for (int field = 0; field < 64 && !in.at_end(); ++field) {
      switch ((frame->type + field) % 5) {
        case 0: (void)in.u8(); break;
        case 1: (void)in.u32(); break;
        case 2: (void)in.u64(); break;
        case 3: (void)in.i64(); break;
        default: (void)in.str(4096); break;
      }
    }
    (void)in.finish("fuzzed frame");
  }
  return 0;
}
