#include <choline/agent/zip_reader.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

namespace choline::agent {

namespace {

constexpr std::uint32_t k_end_signature = 0x06054b50;
constexpr std::uint32_t k_end64_locator_signature = 0x07064b50;
constexpr std::uint32_t k_end64_signature = 0x06064b50;
constexpr std::uint32_t k_central_signature = 0x02014b50;
constexpr std::uint32_t k_local_signature = 0x04034b50;
constexpr std::size_t k_end_size = 22;
constexpr std::size_t k_max_comment = 0xffff;
constexpr std::uint32_t k_unix_host = 3;  // "version made by" high byte
constexpr std::uint64_t k_max_directory_bytes = 1ull << 30;

// Little-endian fields at an offset; the caller checked the bounds.
std::uint64_t le(std::string_view bytes, std::size_t at, int width) {
  std::uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i)
    value = (value << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
  return value;
}

Error bad(const std::string& what) {
  return make_error(ErrorKind::protocol, "not a zip archive, or a damaged one: " + what);
}

Result<std::string> read_at(int fd, std::uint64_t offset, std::size_t size) {
  std::string bytes(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, bytes.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorKind::io, std::string("reading the zip archive: ") + std::strerror(errno));
    if (n == 0) return bad("it ends early");
    done += static_cast<std::size_t>(n);
  }
  return bytes;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A member's raw bytes from the archive, then inflated (or not), size- and CRC-checked.
class MemberSource final : public ByteSource {
 public:
  MemberSource(int fd, std::uint64_t offset, const ZipMember& member)
      : m_fd(fd), m_offset(offset), m_left_raw(member.compressed_size), m_member(member), m_in(1 << 18, '\0') {
    if (member.method == 8) m_inflating = inflateInit2(&m_stream, -15) == Z_OK;
  }
  ~MemberSource() override {
    if (m_inflating) inflateEnd(&m_stream);
    ::close(m_fd);
  }

  Result<std::size_t> read(char* buffer, std::size_t size) override {
    std::size_t produced = 0;
    if (m_member.method == 0) {
      auto n = raw(buffer, std::min<std::uint64_t>(size, m_left_raw));
      if (!n) return n.error();
      produced = *n;
    } else {
      if (!m_inflating) return make_error(ErrorKind::internal, "zlib failed to start");
      m_stream.next_out = reinterpret_cast<Bytef*>(buffer);
      m_stream.avail_out = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
      while (m_stream.avail_out > 0 && !m_ended) {
        if (m_stream.avail_in == 0) {
          auto n = raw(m_in.data(), std::min<std::uint64_t>(m_in.size(), m_left_raw));
          if (!n) return n.error();
          m_stream.next_in = reinterpret_cast<Bytef*>(m_in.data());
          m_stream.avail_in = static_cast<uInt>(*n);
        }
        const int code = inflate(&m_stream, Z_NO_FLUSH);
        if (code == Z_STREAM_END)
          m_ended = true;
        else if (code == Z_BUF_ERROR && m_left_raw == 0 && m_stream.avail_in == 0)
          return bad(m_member.member.path + ": its data ends early");
        else if (code != Z_OK && code != Z_BUF_ERROR)
          return bad(m_member.member.path + ": corrupt deflate data");
      }
      produced = size - m_stream.avail_out;
    }
    m_written += produced;
    m_crc = crc32(m_crc, reinterpret_cast<const Bytef*>(buffer), static_cast<uInt>(produced));
    if (m_written > m_member.member.size) return bad(m_member.member.path + ": more data than its announced size");
    if (produced == 0 && size > 0) {
      if (m_written != m_member.member.size) return bad(m_member.member.path + ": less data than its announced size");
      if (m_crc != m_member.crc32) return bad(m_member.member.path + ": CRC-32 mismatch");
    }
    return produced;
  }

 private:
  Result<std::size_t> raw(char* buffer, std::uint64_t size) {
    if (size == 0) return std::size_t{0};
    const ssize_t n = ::pread(m_fd, buffer, static_cast<std::size_t>(size), static_cast<off_t>(m_offset));
    if (n < 0) return make_error(ErrorKind::io, std::string("reading the zip archive: ") + std::strerror(errno));
    if (n == 0) return bad(m_member.member.path + ": the archive ends inside it");
    m_offset += static_cast<std::uint64_t>(n);
    m_left_raw -= static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }

  int m_fd;
  std::uint64_t m_offset;
  std::uint64_t m_left_raw;
  ZipMember m_member;
  std::string m_in;
  z_stream m_stream{};
  bool m_inflating = false;
  bool m_ended = false;
  std::uint64_t m_written = 0;
  uLong m_crc = crc32(0, nullptr, 0);
};

}  // namespace

Result<std::size_t> find_zip_end_record(std::string_view tail) {
  if (tail.size() < k_end_size) return bad("too short");
  for (std::size_t at = tail.size() - k_end_size + 1; at-- > 0;) {
    if (le(tail, at, 4) == k_end_signature && at + k_end_size + le(tail, at + 20, 2) <= tail.size()) return at;
  }
  return bad("no end of central directory record");
}

Result<std::vector<ZipMember>> parse_zip_directory(std::string_view dir, std::uint64_t count) {
  if (count > k_max_zip_members) return bad("more than " + std::to_string(k_max_zip_members) + " members");
  std::vector<ZipMember> members;
  std::size_t at = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (at + 46 > dir.size() || le(dir, at, 4) != k_central_signature) return bad("a central directory entry is cut");
    ZipMember z;
    const auto made_by = le(dir, at + 4, 2);
    const auto flags = le(dir, at + 8, 2);
    z.method = static_cast<std::uint16_t>(le(dir, at + 10, 2));
    z.crc32 = static_cast<std::uint32_t>(le(dir, at + 16, 4));
    z.compressed_size = le(dir, at + 20, 4);
    z.member.size = le(dir, at + 24, 4);
    const std::size_t name_length = le(dir, at + 28, 2), extra_length = le(dir, at + 30, 2),
                      comment_length = le(dir, at + 32, 2);
    const auto external = le(dir, at + 38, 4);
    z.local_header_offset = le(dir, at + 42, 4);
    if (at + 46 + name_length + extra_length + comment_length > dir.size())
      return bad("a central directory entry is cut");
    z.member.path = std::string(dir.substr(at + 46, name_length));
    if (flags & 1)
      return make_error(ErrorKind::unsupported, "encrypted zip members are not supported (" + z.member.path + ")");
    // zip64: the fields that overflowed (0xffffffff) follow in the 0x0001 extra block, in order.
    std::string_view extra = dir.substr(at + 46 + name_length, extra_length);
    while (extra.size() >= 4) {
      const auto id = le(extra, 0, 2), size = le(extra, 2, 2);
      if (4 + size > extra.size()) break;
      if (id == 0x0001) {
        std::size_t field = 4;
        for (std::uint64_t* value : {&z.member.size, &z.compressed_size, &z.local_header_offset}) {
          if (*value != 0xffffffff) continue;
          if (field + 8 > 4 + size) return bad(z.member.path + ": a zip64 field is missing");
          *value = le(extra, field, 8);
          field += 8;
        }
      }
      extra.remove_prefix(4 + size);
    }
    const std::uint32_t unix_mode = (made_by >> 8) == k_unix_host ? static_cast<std::uint32_t>(external >> 16) : 0;
    z.member.mode = unix_mode ? (unix_mode & 07777) : 0644;
    if (!z.member.path.empty() && z.member.path.back() == '/')
      z.member.type = ArchiveMember::Type::directory;
    else if ((unix_mode & 0170000) == 0120000)
      z.member.type = ArchiveMember::Type::symlink;
    else if ((unix_mode & 0170000) == 0040000 || (external & 0x10))
      z.member.type = ArchiveMember::Type::directory;
    else if (unix_mode != 0 && (unix_mode & 0170000) != 0100000)
      z.member.type = ArchiveMember::Type::other;
    if (z.member.type == ArchiveMember::Type::directory && z.member.mode == 0644) z.member.mode = 0755;
    if (z.method != 0 && z.method != 8 && z.member.type != ArchiveMember::Type::directory) {
      return make_error(ErrorKind::unsupported, "zip member " + z.member.path + " uses compression method " +
                                                    std::to_string(z.method) +
                                                    " (only stored and deflate are supported)");
    }
    members.push_back(std::move(z));
    at += 46 + name_length + extra_length + comment_length;
  }
  return members;
}

Result<ZipReader> ZipReader::open(const std::string& path) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return make_error(ErrorKind::io, "cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return make_error(ErrorKind::io, "cannot stat " + path);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::size_t tail_size =
      static_cast<std::size_t>(std::min<std::uint64_t>(size, k_end_size + k_max_comment + 20));
  auto tail = read_at(file.fd, size - tail_size, tail_size);
  if (!tail) return tail.error();
  auto end = find_zip_end_record(*tail);
  if (!end) return end.error();
  std::uint64_t count = le(*tail, *end + 10, 2);
  std::uint64_t dir_size = le(*tail, *end + 12, 4);
  std::uint64_t dir_offset = le(*tail, *end + 16, 4);
  // zip64: a locator just before the end record points at the zip64 end record.
  if (*end >= 20 && le(*tail, *end - 20, 4) == k_end64_locator_signature) {
    const std::uint64_t end64_offset = le(*tail, *end - 20 + 8, 8);
    auto end64 = read_at(file.fd, end64_offset, 56);
    if (!end64) return end64.error();
    if (le(*end64, 0, 4) != k_end64_signature) return bad("bad zip64 end record");
    count = le(*end64, 32, 8);
    dir_size = le(*end64, 40, 8);
    dir_offset = le(*end64, 48, 8);
  }
  if (dir_size > k_max_directory_bytes || dir_offset + dir_size > size)
    return bad("the central directory is out of bounds");
  auto directory = read_at(file.fd, dir_offset, static_cast<std::size_t>(dir_size));
  if (!directory) return directory.error();
  auto members = parse_zip_directory(*directory, count);
  if (!members) return members.error();
  for (const auto& member : *members) {
    if (member.local_header_offset + 30 > size || member.compressed_size > size)
      return bad(member.member.path + ": out of bounds");
  }
  return ZipReader(path, size, std::move(*members));
}

Result<std::unique_ptr<ByteSource>> ZipReader::open_member(const ZipMember& member) const {
  const int fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorKind::io, "cannot open " + m_path + ": " + std::strerror(errno));
  auto local = read_at(fd, member.local_header_offset, 30);
  if (!local || le(*local, 0, 4) != k_local_signature) {
    ::close(fd);
    return local ? bad(member.member.path + ": no local header where the directory says") : local.error();
  }
  const std::uint64_t data = member.local_header_offset + 30 + le(*local, 26, 2) + le(*local, 28, 2);
  if (data + member.compressed_size > m_size) {
    ::close(fd);
    return bad(member.member.path + ": its data is out of bounds");
  }
  return std::unique_ptr<ByteSource>(std::make_unique<MemberSource>(fd, data, member));
}

}  // namespace choline::agent
