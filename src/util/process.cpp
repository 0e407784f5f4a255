#include <choline/util/process.hpp>

#include <climits>
#include <unistd.h>

namespace choline::util {

std::string self_exe_path() {
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return "choline";
  return std::string(buffer, static_cast<std::size_t>(n));
}

}  // namespace choline::util
