#pragma once
// Where choline keeps things on the laptop.

#include <filesystem>
#include <string>

namespace choline::run {

// $CHOLINE_HOME, or ~/.choline: per-user state (the local provider's hosts, known_hosts).
std::filesystem::path choline_home();

// <project>/.choline/runs: the run records of one project.
std::filesystem::path runs_dir(const std::filesystem::path& project_dir);

// The known_hosts file that pins every host's key choline ever connected to.
std::filesystem::path known_hosts_file();

}  // namespace choline::run
