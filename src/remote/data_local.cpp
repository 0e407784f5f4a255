#include <choline/remote/data_local.hpp>

#include <choline/agent/data_cache_policy.hpp>
#include <choline/sync/tree_digest.hpp>
#include <choline/util/files.hpp>
#include <choline/util/hash.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <cerrno>
#include <cstring>

namespace choline::remote {

namespace fs = std::filesystem;

namespace {

// The remembered hashes of one entry's source, under the project's .choline/.
fs::path hashes_file(const fs::path& project_dir, const fs::path& source) {
  util::Hash128 hash;
  const std::string key = source.string();
  hash.update(key.data(), key.size());
  return project_dir / ".choline" / "data-hashes" / (util::to_hex(hash.digest()) + ".json");
}

}  // namespace

std::vector<std::string> data_ignore_patterns(const std::vector<std::string>& project_patterns,
                                              const std::string& project_relative) {
  std::vector<std::string> patterns;
  for (const auto& original : project_patterns) {
    std::string pattern = util::trim(original);
    if (pattern.empty() || pattern[0] == '#') continue;
    std::string negation;
    if (pattern[0] == '!') {
      negation = "!";
      pattern.erase(0, 1);
    }
    std::string body = pattern;
    while (!body.empty() && body.back() == '/') body.pop_back();
    const bool anchored = body.find('/') != std::string::npos;
    if (!anchored || util::starts_with(pattern, "**/")) {
      patterns.push_back(negation + pattern);
      continue;
    }
    if (project_relative.empty()) continue;
    const std::string path = pattern[0] == '/' ? pattern.substr(1) : pattern;
    if (util::starts_with(path, project_relative + "/") && path.size() > project_relative.size() + 1) {
      patterns.push_back(negation + "/" + path.substr(project_relative.size() + 1));
    }
  }
  return patterns;
}

Result<LocalData> scan_local_data(const spec::ResolvedData& entry, const fs::path& project_dir,
                                  const std::vector<std::string>& ignore) {
  const std::string what = entry.key + " (" + entry.source.string() + ")";
  struct stat st {};
  if (::stat(entry.source.c_str(), &st) != 0) {
    return make_error(
        errno == ENOENT ? ErrorKind::usage : ErrorKind::io,
        what + ": " + std::strerror(errno) + (errno == ENOENT ? "; fix the path in choline.json's \"data\"" : ""));
  }
  LocalData local;
  std::vector<sync::FileEntry> entries;
  if (S_ISDIR(st.st_mode)) {
    local.root = entry.source;
    sync::IgnoreRules rules = sync::IgnoreRules::with_defaults();
    for (const auto& pattern : data_ignore_patterns(ignore, entry.project_relative)) rules.add_pattern(pattern);
    auto scanned = sync::scan_tree(entry.source, std::move(rules), sync::IgnoreFiles::choline_only);
    if (!scanned) return scanned.error().with_context(what);
    entries = std::move(*scanned);
  } else if (S_ISREG(st.st_mode)) {
    local.root = entry.source.parent_path();
    local.file_name = entry.source.filename().string();
    sync::FileEntry file;
    file.path = local.file_name;
    file.type = sync::EntryType::file;
    file.mode = st.st_mode & 0777;
    file.size = static_cast<std::uint64_t>(st.st_size);
    file.mtime_ns = util::mtime_ns(st);
    const auto now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
    file.racy = file.mtime_ns >= now.count() - sync::k_racy_window_ns;
    entries.push_back(file);
  } else {
    return make_error(ErrorKind::usage, what + ": neither a file nor a directory");
  }
  for (auto& file : entries) file.mode &= ~0222u;

  const fs::path cache_file = hashes_file(project_dir, entry.source);
  auto text = util::read_file(cache_file);
  const sync::FileHashes known = text ? sync::FileHashes::from_json(*text) : sync::FileHashes{};
  auto digest = sync::digest_tree(local.root, entries, known);
  if (!digest) return digest.error().with_context(what);
  std::error_code ec;
  fs::create_directories(cache_file.parent_path(), ec);
  if (auto ok = util::write_file_atomic(cache_file, digest->hashes.to_json()); !ok) {
    spdlog::debug("data: cannot remember the hashes of {}: {}", what, ok.error().message);
  }
  local.entries = std::make_shared<const std::vector<sync::FileEntry>>(std::move(entries));
  local.fingerprint = digest->digest;
  local.id = agent::tree_data_id(digest->digest);
  local.files = digest->files;
  local.bytes = digest->bytes;
  return local;
}

}  // namespace choline::remote
