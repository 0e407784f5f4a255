#include <choline/util/process.hpp>

#include <climits>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace choline::util {

namespace {
std::string g_argv0_absolute;
}

void remember_argv0(const char* argv0) {
  if (!argv0 || !*argv0) return;
  char resolved[PATH_MAX];
  if (std::string(argv0).find('/') != std::string::npos && ::realpath(argv0, resolved)) g_argv0_absolute = resolved;
}

std::string self_exe_path() {
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n > 0) return std::string(buffer, static_cast<std::size_t>(n));
  return g_argv0_absolute.empty() ? "choline" : g_argv0_absolute;
}

}  // namespace choline::util
