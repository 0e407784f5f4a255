// The sender facing a hostile receiver: the input is everything the receiver says (requests,
// signatures, reports). The sender must return, never crash, hang or upload more than it offered.
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path source = make_source();
  static const std::uint64_t offered = 5 + 4 + 20000;
  fuzz::InputStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  auto stats = sync::run_sender(source, stream, {});
  // Each file at most once, plus framing and the file list: never a multiple of the tree.
  if (stream.written() > 2 * offered + 64 * 1024) std::abort();
  (void)stats;
  return 0;
}
