#pragma once
// Where a project keeps its runs on the laptop (the user's own directories: choline/home.hpp).

#include <filesystem>

namespace choline::records {

// <project>/.choline/runs: the run records of one project.
std::filesystem::path runs_dir(const std::filesystem::path& project_dir);

}  // namespace choline::records
