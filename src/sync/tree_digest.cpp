#include <choline/sync/tree_digest.hpp>

#include <choline/limits.hpp>
#include <choline/util/files.hpp>
#include <choline/util/hash.hpp>
#include <choline/util/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

namespace choline::sync {

std::string digest_items(std::vector<DigestItem> items) {
  std::sort(items.begin(), items.end(), [](const DigestItem& a, const DigestItem& b) { return a.path < b.path; });
  util::Hash128 hash;
  for (const auto& item : items) {
    std::string line = item.path;
    line += '\0';
    switch (item.type) {
      case EntryType::file:
        line += std::to_string(item.size) + '\0' + item.content;
        break;
      case EntryType::symlink:
        line += std::string("0") + '\0' + "link:" + item.content;
        break;
      case EntryType::directory:
        line += std::string("0") + '\0' + "dir";
        break;
    }
    line += '\n';
    hash.update(line.data(), line.size());
  }
  return util::to_hex(hash.digest());
}

std::optional<std::string> FileHashes::lookup(const std::string& path, std::uint64_t size, std::int64_t mtime_ns,
                                              std::uint64_t inode) const {
  const auto it = m_known.find(path);
  if (it == m_known.end()) return std::nullopt;
  const Known& known = it->second;
  if (known.size != size || known.mtime_ns != mtime_ns || known.inode != inode) return std::nullopt;
  return known.hash;
}

std::string FileHashes::to_json() const {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [path, known] : m_known) files[path] = {known.size, known.mtime_ns, known.inode, known.hash};
  return util::dump_json({{"version", 1}, {"files", files}});
}

FileHashes FileHashes::from_json(std::string_view text) {
  FileHashes hashes;
  auto parsed = util::parse_json(text, limits::k_max_json_depth);
  if (!parsed || !parsed->is_object() || parsed->value("version", 0) != 1) return hashes;
  const auto files = parsed->find("files");
  if (files == parsed->end() || !files->is_object()) return hashes;
  for (const auto& [path, item] : files->items()) {
    if (!item.is_array() || item.size() != 4 || !item[0].is_number_unsigned() || !item[1].is_number_integer() ||
        !item[2].is_number_unsigned() || !item[3].is_string()) {
      continue;
    }
    hashes.m_known[path] = {item[0].get<std::uint64_t>(), item[1].get<std::int64_t>(), item[2].get<std::uint64_t>(),
                            item[3].get<std::string>()};
  }
  return hashes;
}

Result<std::string> hash_file_content(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorKind::io, "cannot read " + path.string() + ": " + std::strerror(errno));
  util::Hash128 hash;
  std::string buffer(1 << 20, '\0');
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return make_error(ErrorKind::io, "cannot read " + path.string() + ": " + std::strerror(error));
    }
    if (n == 0) break;
    hash.update(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return util::to_hex(hash.digest());
}

Result<TreeDigest> digest_tree(const std::filesystem::path& root, const std::vector<FileEntry>& entries,
                               const FileHashes& known) {
  TreeDigest result;
  std::vector<DigestItem> items;
  items.reserve(entries.size());
  for (const auto& entry : entries) {
    DigestItem item{entry.path, entry.type, entry.size, {}};
    if (entry.type == EntryType::symlink) item.content = entry.link_target;
    if (entry.type == EntryType::file) {
      const std::filesystem::path full = root / entry.path;
      struct stat st {};
      if (::lstat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return make_error(ErrorKind::io, "cannot read " + full.string() + ": it changed while it was listed");
      }
      const FileHashes::Known now{static_cast<std::uint64_t>(st.st_size), util::mtime_ns(st),
                                  static_cast<std::uint64_t>(st.st_ino), ""};
      if (now.size != entry.size) return make_error(ErrorKind::io, full.string() + " changed while it was listed");
      if (auto hash = known.lookup(entry.path, now.size, now.mtime_ns, now.inode)) {
        item.content = *hash;
      } else {
        auto hash_now = hash_file_content(full);
        if (!hash_now) return hash_now.error();
        item.content = *hash_now;
      }
      if (!entry.racy) result.hashes.remember(entry.path, {now.size, now.mtime_ns, now.inode, item.content});
      ++result.files;
      result.bytes += entry.size;
    }
    items.push_back(std::move(item));
  }
  result.digest = digest_items(std::move(items));
  return result;
}

}  // namespace choline::sync
