// HELLO and the file list: decoding any bytes gives entries or an error, and an entry that
// passes the receiver's checks names a path inside the root.
#include <choline/sync/path_safety.hpp>
#include <choline/sync/protocol.hpp>

#include <cstdlib>
#include <filesystem>

#include "fuzz_support.hpp"

using namespace choline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)sync::decode_hello(input);
  sync::Decoder in(input);
  for (int i = 0; i < 10000 && !in.at_end(); ++i) {
    auto entry = sync::decode_entry(in);
    if (!entry) break;
    if (entry->mode & ~0777u) std::abort();  // only permission bits may travel
    if (!sync::validate_relative_path(entry->path)) continue;
    const auto normal = std::filesystem::path("/root/x").append(entry->path).lexically_normal();
    const auto inside = normal.lexically_relative("/root/x");
    if (inside.empty() || *inside.begin() == "..") std::abort();
    if (entry->type == sync::EntryType::symlink && sync::validate_symlink_target(entry->path, entry->link_target)) {
      const auto link_dir = std::filesystem::path("/root/x").append(entry->path).parent_path();
      const auto resolved = (link_dir / entry->link_target).lexically_normal();
      const auto relative = resolved.lexically_relative("/root/x");
      if (relative.empty() || *relative.begin() == "..") std::abort();
    }
  }
  return 0;
}
