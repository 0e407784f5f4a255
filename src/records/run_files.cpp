#include <choline/records/run_files.hpp>

#include <choline/agent/job.hpp>
#include <choline/records/checkpoint_names.hpp>
#include <choline/util/files.hpp>

#include <sys/stat.h>
#include <algorithm>

namespace choline::records {

std::string newest_local_checkpoint(const RunRecord& record) {
  std::vector<CheckpointFile> files;
  std::error_code ec;
  for (const auto& item : std::filesystem::recursive_directory_iterator(record.checkpoints_dir(), ec)) {
    if (!item.is_regular_file()) continue;
    struct stat st {};
    if (::stat(item.path().c_str(), &st) != 0) continue;
    files.push_back({item.path().lexically_relative(record.checkpoints_dir()).string(),
                     static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec});
  }
  auto newest = newest_checkpoint(files);
  return newest ? record.options.checkpoint_dir + "/" + *newest : std::string();
}

std::string attempt_part(std::string_view log, int attempt) {
  std::string part;
  bool inside = false;
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    end = end == std::string_view::npos ? log.size() : end + 1;
    const std::string_view line = log.substr(start, end - start);
    std::string_view bare = line;
    if (!bare.empty() && bare.back() == '\n') bare.remove_suffix(1);
    if (auto marked = agent::parse_attempt_marker(bare)) inside = *marked == attempt;
    if (inside) part.append(line);
    start = end;
  }
  return part;
}

std::vector<std::string> last_lines(const std::filesystem::path& file, std::size_t count) {
  auto text = util::read_file(file);
  if (!text || text->empty()) return {};
  std::string_view rest(*text);
  if (rest.back() == '\n') rest.remove_suffix(1);
  std::vector<std::string> lines;
  while (lines.size() < count) {
    const auto newline = rest.rfind('\n');
    if (newline == std::string_view::npos) {
      lines.emplace_back(rest);
      break;
    }
    lines.emplace_back(rest.substr(newline + 1));
    rest = rest.substr(0, newline);
  }
  std::reverse(lines.begin(), lines.end());
  return lines;
}

}  // namespace choline::records
