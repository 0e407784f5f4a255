#include <choline/run/paths.hpp>

#include <cstdlib>

namespace choline::run {

std::filesystem::path choline_home() {
  if (const char* home = std::getenv("CHOLINE_HOME"); home && *home) return home;
  const char* user_home = std::getenv("HOME");
  return std::filesystem::path(user_home && *user_home ? user_home : "/tmp") / ".choline";
}

std::filesystem::path runs_dir(const std::filesystem::path& project_dir) { return project_dir / ".choline" / "runs"; }

std::filesystem::path known_hosts_file() { return choline_home() / "known_hosts"; }

}  // namespace choline::run
