#include <choline/agent/archive.hpp>

#include <choline/agent/byte_source.hpp>
#include <choline/agent/tar_reader.hpp>
#include <choline/agent/zip_reader.hpp>
#include <choline/sync/path_safety.hpp>
#include <choline/sync/safe_dir.hpp>
#include <choline/util/strings.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <functional>

namespace choline::agent {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_copy_buffer = 1 << 18;

Error unsafe(const std::string& name, const std::string& why) {
  return make_error(ErrorKind::protocol,
                    "the archive holds an unsafe member \"" + util::printable(name) + "\": " + why);
}

// Writes members under one root, never following a symlink on the way (sync::SafeRoot).
class MemberWriter {
 public:
  MemberWriter(sync::SafeRoot root, const ExtractLimits& limits) : m_root(std::move(root)), m_limits(limits) {}

  // `data` feeds a file's content; called only for files.
  Status write(const ArchiveMember& member, const std::function<Result<std::size_t>(char*, std::size_t)>& data) {
    if (++m_members > m_limits.max_members) {
      return make_error(ErrorKind::protocol,
                        "the archive holds more than " + std::to_string(m_limits.max_members) + " members");
    }
    auto path = member_destination(member.path);
    if (!path) return path.error();
    if (path->empty()) return {};  // "./": the destination itself
    if (member.type == ArchiveMember::Type::other) {
      m_stats.skipped.push_back(*path);
      return {};
    }
    if (member.type == ArchiveMember::Type::directory) {
      auto dir = m_root.dir(*path, true);
      if (!dir) return unsafe(member.path, dir.error().message);
      ++m_stats.directories;
      return {};
    }
    const auto [parent, name] = sync::split_parent(*path);
    auto dir = m_root.dir(parent, true);
    if (!dir) return unsafe(member.path, dir.error().message);
    const int dir_fd = (*dir)->fd();
    // A later member of the same name replaces an earlier one, as tar does.
    if (auto ok = sync::remove_tree_at(dir_fd, name); !ok) return ok;
    m_root.forget(*path);
    switch (member.type) {
      case ArchiveMember::Type::symlink:
        return symlink(member, *path, dir_fd, name);
      case ArchiveMember::Type::hardlink:
        return hardlink(member, dir_fd, name);
      default:
        return file(member, dir_fd, name, data);
    }
  }

  ExtractStats& stats() { return m_stats; }

 private:
  Status symlink(const ArchiveMember& member, const std::string& path, int dir_fd, const std::string& name) {
    if (auto ok = sync::validate_symlink_target(path, member.link_target); !ok)
      return unsafe(member.path, ok.error().message);
    if (::symlinkat(member.link_target.c_str(), dir_fd, name.c_str()) != 0) {
      return make_error(ErrorKind::io, "cannot create symlink " + path + ": " + std::strerror(errno));
    }
    ++m_stats.links;
    return {};
  }

  Status hardlink(const ArchiveMember& member, int dir_fd, const std::string& name) {
    auto target = member_destination(member.link_target);
    if (!target || target->empty())
      return unsafe(member.path, "a hard link to \"" + util::printable(member.link_target) + "\"");
    const auto [target_parent, target_name] = sync::split_parent(*target);
    auto target_dir = m_root.dir(target_parent, false);
    struct stat st {};
    if (!target_dir || ::fstatat((*target_dir)->fd(), target_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode)) {
      return unsafe(member.path, "a hard link to \"" + util::printable(member.link_target) +
                                     "\", which is no file extracted before it");
    }
    if (::linkat((*target_dir)->fd(), target_name.c_str(), dir_fd, name.c_str(), 0) != 0) {
      return make_error(ErrorKind::io, "cannot link " + member.path + ": " + std::strerror(errno));
    }
    ++m_stats.links;
    return {};
  }

  Status file(const ArchiveMember& member, int dir_fd, const std::string& name,
              const std::function<Result<std::size_t>(char*, std::size_t)>& data) {
    if (member.size > m_limits.max_bytes - std::min(m_stats.bytes, m_limits.max_bytes)) return too_large(member);
    const int fd = ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(ErrorKind::io, "cannot create " + member.path + ": " + std::strerror(errno));
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    std::string buffer(k_copy_buffer, '\0');
    for (;;) {
      auto n = data(buffer.data(), buffer.size());
      if (!n) return n.error();
      if (*n == 0) break;
      m_stats.bytes += *n;
      if (m_stats.bytes > m_limits.max_bytes) return too_large(member);
      for (std::size_t done = 0; done < *n;) {
        const ssize_t written = ::write(fd, buffer.data() + done, *n - done);
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) {
          const bool full = errno == ENOSPC || errno == EDQUOT;
          return make_error(ErrorKind::io, std::string(full ? "the disk is full" : "cannot write") +
                                               " while unpacking " + member.path + ": " + std::strerror(errno));
        }
        done += static_cast<std::size_t>(written);
      }
    }
    ::fchmod(fd, (member.mode & 0755) | 0600);
    const struct timespec times[2] = {{0, UTIME_OMIT}, {member.mtime_s, 0}};
    ::futimens(fd, times);
    ++m_stats.files;
    return {};
  }

  Error too_large(const ArchiveMember& member) {
    return make_error(ErrorKind::io, "the archive unpacks to more than the " +
                                         std::to_string(m_limits.max_bytes >> 20) + " MiB there is room for (at " +
                                         util::printable(member.path) + ")");
  }

  sync::SafeRoot m_root;
  ExtractLimits m_limits;
  ExtractStats m_stats;
  std::uint64_t m_members = 0;
};

Status extract_tar(std::unique_ptr<ByteSource> source, MemberWriter& writer) {
  TarReader reader(*source);
  for (;;) {
    auto member = reader.next();
    if (!member) return member.error();
    if (!*member) return {};
    if (auto ok =
            writer.write(**member, [&](char* buffer, std::size_t size) { return reader.read_data(buffer, size); });
        !ok) {
      return ok;
    }
  }
}

Status extract_zip(const fs::path& archive, MemberWriter& writer) {
  auto zip = ZipReader::open(archive.string());
  if (!zip) return zip.error();
  for (const auto& entry : zip->members()) {
    ArchiveMember member = entry.member;
    std::unique_ptr<ByteSource> content;
    if (member.type == ArchiveMember::Type::file || member.type == ArchiveMember::Type::symlink) {
      auto opened = zip->open_member(entry);
      if (!opened) return opened.error();
      content = std::move(*opened);
    }
    if (member.type == ArchiveMember::Type::symlink) {  // the target is the member's content
      if (member.size > sync::k_max_path_length) return unsafe(member.path, "a symlink target too long");
      member.link_target.assign(static_cast<std::size_t>(member.size), '\0');
      if (auto ok = content->read_exact(member.link_target.data(), member.link_target.size(), "a symlink"); !ok)
        return ok;
    }
    if (auto ok = writer.write(member, [&](char* buffer, std::size_t size) { return content->read(buffer, size); });
        !ok) {
      return ok;
    }
  }
  return {};
}

}  // namespace

ArchiveFormat detect_archive_format(std::string_view head) {
  const auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("\x1f\x8b")) return ArchiveFormat::tar_gz;
  if (starts("\x28\xb5\x2f\xfd")) return ArchiveFormat::tar_zst;
  if (starts("PK\x03\x04") || starts("PK\x05\x06")) return ArchiveFormat::zip;
  if (head.size() >= 263 && head.substr(257, 5) == "ustar") return ArchiveFormat::tar;
  return ArchiveFormat::unknown;
}

const char* to_string(ArchiveFormat format) {
  switch (format) {
    case ArchiveFormat::tar:
      return "tar";
    case ArchiveFormat::tar_gz:
      return "tar.gz";
    case ArchiveFormat::tar_zst:
      return "tar.zst";
    case ArchiveFormat::zip:
      return "zip";
    case ArchiveFormat::unknown:
      break;
  }
  return "unknown";
}

Result<std::string> member_destination(std::string_view name) {
  std::string_view path = name;
  if (!path.empty() && path.front() == '/') return unsafe(std::string(name), "an absolute path");
  while (path.substr(0, 2) == "./") {
    path.remove_prefix(2);
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty() || path == ".") return std::string();
  if (auto ok = sync::validate_relative_path(path); !ok) return unsafe(std::string(name), ok.error().message);
  return std::string(path);
}

Result<ExtractStats> extract_archive(const fs::path& archive, const fs::path& destination,
                                     const ExtractLimits& limits) {
  auto source = open_file_source(archive);
  if (!source) return source.error();
  std::string head(512, '\0');
  std::size_t got = 0;
  while (got < head.size()) {
    auto n = (*source)->read(head.data() + got, head.size() - got);
    if (!n) return n.error();
    if (*n == 0) break;
    got += *n;
  }
  head.resize(got);
  const ArchiveFormat format = detect_archive_format(head);
  if (format == ArchiveFormat::unknown) {
    return make_error(ErrorKind::usage,
                      "cannot extract it: not a tar, tar.gz, tar.zst or zip archive (set \"extract\": false "
                      "to keep the file as it is)");
  }
  auto root = sync::SafeRoot::open(destination, false);
  if (!root) return root.error();
  MemberWriter writer(std::move(*root), limits);
  Status status;
  if (format == ArchiveFormat::zip) {
    status = extract_zip(archive, writer);
  } else {
    auto reopened = open_file_source(archive);
    if (!reopened) return reopened.error();
    std::unique_ptr<ByteSource> stream = std::move(*reopened);
    if (format == ArchiveFormat::tar_gz) stream = make_gzip_source(std::move(stream));
    if (format == ArchiveFormat::tar_zst) stream = make_zstd_source(std::move(stream));
    status = extract_tar(std::move(stream), writer);
  }
  if (!status) return status.error().with_context(std::string("unpacking the ") + to_string(format) + " archive");
  writer.stats().format = format;
  return writer.stats();
}

}  // namespace choline::agent
