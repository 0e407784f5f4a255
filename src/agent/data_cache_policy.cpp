#include <choline/agent/data_cache_policy.hpp>

#include <algorithm>
#include <filesystem>

namespace choline::agent {

namespace {

constexpr std::string_view k_tree_prefix = "tree-";
constexpr std::string_view k_sha_prefix = "sha256-";
constexpr std::string_view k_extracted_suffix = "-extracted";

bool is_lower_hex(std::string_view text, std::size_t length) {
  return text.size() == length &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::string tree_data_id(std::string_view digest) {
  return std::string(k_tree_prefix) + std::string(digest);
}

std::string url_data_id(std::string_view sha256, bool extract) {
  return std::string(k_sha_prefix) + std::string(sha256) + (extract ? std::string(k_extracted_suffix) : "");
}

bool is_data_id(std::string_view id) {
  if (id.substr(0, k_tree_prefix.size()) == k_tree_prefix) return is_lower_hex(id.substr(k_tree_prefix.size()), 32);
  if (id.substr(0, k_sha_prefix.size()) != k_sha_prefix) return false;
  std::string_view rest = id.substr(k_sha_prefix.size());
  if (rest.size() == 64 + k_extracted_suffix.size() && rest.substr(64) == k_extracted_suffix) rest = rest.substr(0, 64);
  return is_lower_hex(rest, 64);
}

std::string data_id_fingerprint(std::string_view id) {
  if (id.substr(0, k_tree_prefix.size()) == k_tree_prefix) return std::string(id.substr(k_tree_prefix.size()));
  if (id.substr(0, k_sha_prefix.size()) == k_sha_prefix) return std::string(id.substr(k_sha_prefix.size(), 64));
  return std::string(id);
}

std::string data_cache_dir(const std::string& agent_dir) {
  std::string dir = agent_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const std::filesystem::path parent = std::filesystem::path(dir).lexically_normal().parent_path();
  return parent.empty() ? std::string("data") : (parent / "data").string();
}

std::uint64_t default_cache_limit(std::uint64_t free_bytes, std::uint64_t cache_bytes) {
  const std::uint64_t room = free_bytes + cache_bytes;
  return room / 100 * static_cast<std::uint64_t>(k_default_cache_share_percent);
}

std::vector<std::string> plan_eviction(std::vector<CachedEntry> entries, std::uint64_t limit, std::uint64_t incoming) {
  std::uint64_t total = incoming;
  for (const auto& entry : entries) total += entry.bytes;
  std::sort(entries.begin(), entries.end(), [](const CachedEntry& a, const CachedEntry& b) {
    return a.last_used_s != b.last_used_s ? a.last_used_s < b.last_used_s : a.id < b.id;
  });
  std::vector<std::string> evicted;
  for (const auto& entry : entries) {
    if (total <= limit) break;
    if (entry.in_use) continue;
    evicted.push_back(entry.id);
    total -= entry.bytes;
  }
  return evicted;
}

bool mark_holds(bool link_points_here, bool job_running, std::int64_t last_activity_s, std::int64_t now_s) {
  if (!link_points_here) return false;
  return job_running || now_s - last_activity_s < k_mark_grace_s;
}

}  // namespace choline::agent
