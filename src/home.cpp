#include <choline/home.hpp>

#include <cstdlib>

namespace choline {

namespace {

std::filesystem::path from_env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? std::filesystem::path(value) : std::filesystem::path();
}

}  // namespace

std::filesystem::path user_home() {
  const auto home = from_env("HOME");
  return home.empty() ? std::filesystem::path("/tmp") : home;
}

std::filesystem::path choline_home() {
  const auto home = from_env("CHOLINE_HOME");
  return home.empty() ? user_home() / ".choline" : home;
}

std::filesystem::path config_dir() {
  const auto xdg = from_env("XDG_CONFIG_HOME");
  return xdg.empty() ? user_home() / ".config" / "choline" : xdg / "choline";
}

std::filesystem::path known_hosts_file() { return choline_home() / "known_hosts"; }

std::filesystem::path user_ssh_known_hosts() { return user_home() / ".ssh" / "known_hosts"; }

std::string expand_home(const std::string& path) {
  if (path == "~") return user_home().string();
  if (path.rfind("~/", 0) != 0) return path;
  return (user_home() / path.substr(2)).string();
}

}  // namespace choline
