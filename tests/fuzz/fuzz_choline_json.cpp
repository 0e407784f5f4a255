// choline.json: any text gives a Config or an error that says what is wrong, never a crash.
#include <choline/spec/config.hpp>

#include <string_view>

#include "fuzz_support.hpp"

using namespace choline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)spec::parse_config(std::string_view(reinterpret_cast<const char*>(data), size), "choline.json");
  return 0;
}
