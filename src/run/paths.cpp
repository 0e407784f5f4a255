#include <choline/run/paths.hpp>

namespace choline::run {

std::filesystem::path runs_dir(const std::filesystem::path& project_dir) { return project_dir / ".choline" / "runs"; }

}  // namespace choline::run
