#include <choline/sync/manifest.hpp>

#include <choline/limits.hpp>
#include <choline/util/files.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace choline::sync {

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}


class Scanner {
 public:
  Scanner(const std::filesystem::path& root, IgnoreRules rules, IgnoreFiles files)
      : m_root(root), m_rules(std::move(rules)), m_files(files), m_racy_after(now_ns() - k_racy_window_ns) {}

  void walk(const std::string& dir) {
    const std::filesystem::path full = dir.empty() ? m_root : m_root / dir;
    for (std::string_view ignore_file : {k_gitignore, k_cholineignore}) {
      const bool skipped =
          m_files == IgnoreFiles::none || (ignore_file == k_gitignore && m_files == IgnoreFiles::choline_only);
      if (skipped) continue;
      auto text = util::read_file(full / ignore_file, limits::k_max_ignore_file_bytes);
      if (text) {
        m_rules.add_file(dir, *text);
      } else if (text.error().kind != ErrorKind::not_found) {
        spdlog::warn("sync: ignoring {}: {}", (full / ignore_file).string(), text.error().message);
      }
    }
    DIR* handle = ::opendir(full.c_str());
    if (!handle) {
      spdlog::warn("sync: skipping unreadable directory {}: {}", full.string(), std::strerror(errno));
      return;
    }
    std::vector<std::string> names;
    while (const dirent* item = ::readdir(handle)) {
      const std::string name = item->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(handle);
    std::sort(names.begin(), names.end());

    for (const auto& name : names) {
      const std::string path = dir.empty() ? name : dir + "/" + name;
      struct stat st {};
      if (::lstat((m_root / path).c_str(), &st) != 0) {
        spdlog::warn("sync: skipping {}: {}", path, std::strerror(errno));
        continue;
      }
      const bool is_dir = S_ISDIR(st.st_mode);
      if (m_rules.is_ignored(path, is_dir)) continue;
      FileEntry entry;
      entry.path = path;
      entry.mode = st.st_mode & 0777;
      entry.mtime_ns = util::mtime_ns(st);
      entry.racy = entry.mtime_ns >= m_racy_after;
      if (S_ISREG(st.st_mode)) {
        entry.type = EntryType::file;
        entry.size = static_cast<std::uint64_t>(st.st_size);
        m_entries.push_back(std::move(entry));
      } else if (is_dir) {
        entry.type = EntryType::directory;
        m_entries.push_back(std::move(entry));
        walk(path);
      } else if (S_ISLNK(st.st_mode)) {
        entry.type = EntryType::symlink;
        std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
        const ssize_t n = ::readlink((m_root / path).c_str(), target.data(), target.size());
        if (n < 0) continue;
        target.resize(static_cast<std::size_t>(n));
        entry.link_target = target;
        m_entries.push_back(std::move(entry));
      } else {
        spdlog::warn("sync: skipping {}: not a regular file, directory or symlink", path);
      }
    }
  }

  std::vector<FileEntry> take() { return std::move(m_entries); }

 private:
  std::filesystem::path m_root;
  IgnoreRules m_rules;
  IgnoreFiles m_files;
  std::int64_t m_racy_after;
  std::vector<FileEntry> m_entries;
};

}  // namespace

Result<std::vector<FileEntry>> scan_tree(const std::filesystem::path& root, IgnoreRules rules, IgnoreFiles files) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) {
    return make_error(errno == ENOENT ? ErrorKind::not_found : ErrorKind::io,
                      "cannot read " + root.string() + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return make_error(ErrorKind::usage, root.string() + " is not a directory");
  Scanner scanner(root, std::move(rules), files);
  scanner.walk("");
  return scanner.take();
}

}  // namespace choline::sync
