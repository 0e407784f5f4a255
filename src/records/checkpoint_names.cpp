#include <choline/records/checkpoint_names.hpp>

#include <choline/util/strings.hpp>

namespace choline::records {

std::string card_name_for(const std::string& checkpoint_name) {
  return checkpoint_name + std::string(k_card_suffix);
}

bool is_card_name(std::string_view name) {
  return util::ends_with(name, k_card_suffix);
}

bool is_temp_name(std::string_view base_name) {
  return base_name.empty() || base_name[0] == '.' || util::ends_with(base_name, ".tmp") ||
         util::ends_with(base_name, ".partial");
}

bool is_rank_part(std::string_view base_name) {
  const auto dot = base_name.rfind(".rank");
  if (dot == std::string_view::npos || dot + 5 == base_name.size()) return false;
  return base_name.find_first_not_of("0123456789", dot + 5) == std::string_view::npos;
}

bool is_checkpoint_name(std::string_view relative_path) {
  const auto slash = relative_path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? relative_path : relative_path.substr(slash + 1);
  return !is_temp_name(base) && !is_rank_part(base) && !is_card_name(base);
}

const std::vector<std::string>& checkpoint_pull_ignore() {
  static const std::vector<std::string> patterns = {"*.tmp", "*.partial", ".*", "*" + std::string(k_card_suffix)};
  return patterns;
}

std::optional<std::string> newest_checkpoint(const std::vector<CheckpointFile>& files) {
  const CheckpointFile* best = nullptr;
  for (const auto& file : files) {
    if (!is_checkpoint_name(file.name)) continue;
    if (!best || file.mtime_ns > best->mtime_ns || (file.mtime_ns == best->mtime_ns && file.name > best->name))
      best = &file;
  }
  if (!best) return std::nullopt;
  return best->name;
}

}  // namespace choline::records
