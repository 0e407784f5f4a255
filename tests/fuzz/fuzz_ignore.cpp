// Ignore rules from a hostile .gitignore: any patterns against any paths, in time proportional
// to pattern x path (a backtracking matcher would time out here).
#include <choline/sync/ignore.hpp>

#include <string>

#include "fuzz_support.hpp"

using namespace choline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first line-block (up to a NUL) is the ignore file, the rest are paths, one per line.
  const std::size_t split = input.find('\0');
  const std::string_view file = input.substr(0, split);
  const std::string_view paths = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
  sync::IgnoreRules rules = sync::IgnoreRules::with_defaults();
  rules.add_file("", file);
  rules.add_file("sub", file);
  std::size_t at = 0;
  while (at <= paths.size()) {
    std::size_t end = paths.find('\n', at);
    if (end == std::string_view::npos) end = paths.size();
    const std::string_view path = paths.substr(at, end - at);
    (void)rules.is_ignored(path, false);
    (void)rules.is_ignored(path, true);
    at = end + 1;
  }
  (void)sync::glob_match(file.substr(0, 512), paths.substr(0, 512));
  return 0;
}
