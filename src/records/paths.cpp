#include <choline/records/paths.hpp>

namespace choline::records {

std::filesystem::path runs_dir(const std::filesystem::path& project_dir) {
  return project_dir / ".choline" / "runs";
}

}  // namespace choline::records
