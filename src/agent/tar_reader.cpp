#include <choline/agent/tar_reader.hpp>

#include <choline/util/strings.hpp>

#include <algorithm>

namespace choline::agent {

namespace {

constexpr std::size_t k_block = 512;

std::string_view field(std::string_view block, std::size_t offset, std::size_t length) {
  std::string_view value = block.substr(offset, length);
  const auto nul = value.find('\0');
  return nul == std::string_view::npos ? value : value.substr(0, nul);
}

std::uint64_t padding_of(std::uint64_t size) {
  return (k_block - size % k_block) % k_block;
}

std::string strip_nuls(std::string text) {
  const auto nul = text.find('\0');
  if (nul != std::string::npos) text.resize(nul);
  return text;
}

}  // namespace

Result<std::uint64_t> parse_tar_number(std::string_view raw) {
  if (!raw.empty() && (static_cast<unsigned char>(raw[0]) & 0x80)) {
    // Base-256: big-endian, the first byte's high bit is the marker (its next bit the sign).
    if (static_cast<unsigned char>(raw[0]) & 0x40)
      return make_error(ErrorKind::protocol, "negative number in a tar header");
    std::uint64_t value = static_cast<unsigned char>(raw[0]) & 0x3f;
    for (std::size_t i = 1; i < raw.size(); ++i) {
      if (value >> 56) return make_error(ErrorKind::protocol, "number too large in a tar header");
      value = (value << 8) | static_cast<unsigned char>(raw[i]);
    }
    return value;
  }
  std::size_t at = 0;
  while (at < raw.size() && raw[at] == ' ') ++at;
  std::uint64_t value = 0;
  bool digits = false;
  for (; at < raw.size() && raw[at] >= '0' && raw[at] <= '7'; ++at) {
    if (value >> 60) return make_error(ErrorKind::protocol, "number too large in a tar header");
    value = value * 8 + static_cast<std::uint64_t>(raw[at] - '0');
    digits = true;
  }
  for (; at < raw.size(); ++at) {
    if (raw[at] != ' ' && raw[at] != '\0') return make_error(ErrorKind::protocol, "bad number in a tar header");
  }
  if (!digits) return std::uint64_t{0};
  return value;
}

Result<std::optional<TarHeader>> parse_tar_header(std::string_view block) {
  if (block.size() != k_block) return make_error(ErrorKind::internal, "a tar header is 512 bytes");
  if (std::all_of(block.begin(), block.end(), [](char c) { return c == '\0'; })) return std::optional<TarHeader>();
  // The checksum counts its own field as spaces; old tars summed signed bytes.
  auto stored = parse_tar_number(block.substr(148, 8));
  if (!stored) return make_error(ErrorKind::protocol, "not a tar archive (bad header checksum field)");
  std::uint64_t unsigned_sum = 0;
  std::int64_t signed_sum = 0;
  for (std::size_t i = 0; i < k_block; ++i) {
    const char c = (i >= 148 && i < 156) ? ' ' : block[i];
    unsigned_sum += static_cast<unsigned char>(c);
    signed_sum += static_cast<signed char>(c);
  }
  if (*stored != unsigned_sum && static_cast<std::int64_t>(*stored) != signed_sum) {
    return make_error(ErrorKind::protocol, "not a tar archive, or a damaged one (header checksum mismatch)");
  }
  TarHeader header;
  header.name = std::string(field(block, 0, 100));
  auto mode = parse_tar_number(block.substr(100, 8));
  auto size = parse_tar_number(block.substr(124, 12));
  auto mtime = parse_tar_number(block.substr(136, 12));
  if (!mode || !size || !mtime) return make_error(ErrorKind::protocol, "bad number in a tar header");
  header.mode = static_cast<std::uint32_t>(*mode & 07777);
  header.size = *size;
  header.mtime_s = static_cast<std::int64_t>(std::min<std::uint64_t>(*mtime, 1ull << 40));
  header.typeflag = block[156];
  header.linkname = std::string(field(block, 157, 100));
  // ustar (and GNU's "ustar  ") keep a prefix for long paths; GNU's is not a prefix field.
  const std::string_view magic = block.substr(257, 6);
  if (magic == std::string_view("ustar\0", 6)) {
    const std::string_view prefix = field(block, 345, 155);
    if (!prefix.empty()) header.name = std::string(prefix) + "/" + header.name;
  }
  return std::optional<TarHeader>(header);
}

Result<std::map<std::string, std::string>> parse_pax_records(std::string_view text) {
  std::map<std::string, std::string> records;
  while (!text.empty()) {
    const auto space = text.find(' ');
    if (space == std::string_view::npos) return make_error(ErrorKind::protocol, "bad pax record");
    const auto length = util::parse_uint(text.substr(0, space), static_cast<long long>(text.size()));
    if (!length || *length <= static_cast<long long>(space) + 1 || static_cast<std::size_t>(*length) > text.size() ||
        text[static_cast<std::size_t>(*length) - 1] != '\n') {
      return make_error(ErrorKind::protocol, "bad pax record length");
    }
    const std::string_view record = text.substr(space + 1, static_cast<std::size_t>(*length) - space - 2);
    const auto equals = record.find('=');
    if (equals == std::string_view::npos) return make_error(ErrorKind::protocol, "bad pax record (no '=')");
    records[std::string(record.substr(0, equals))] = std::string(record.substr(equals + 1));
    text.remove_prefix(static_cast<std::size_t>(*length));
  }
  return records;
}

Status TarReader::skip_rest() {
  if (auto ok = m_source.skip(m_remaining + m_padding, "a member's data"); !ok) return ok;
  m_remaining = m_padding = 0;
  return {};
}

Result<std::string> TarReader::read_extension(std::uint64_t size) {
  if (size > k_max_tar_extension_bytes) return make_error(ErrorKind::protocol, "a tar extended header is too large");
  std::string text(static_cast<std::size_t>(size), '\0');
  if (auto ok = m_source.read_exact(text.data(), text.size(), "an extended header"); !ok) return ok.error();
  if (auto ok = m_source.skip(padding_of(size), "an extended header"); !ok) return ok.error();
  return text;
}

Result<std::optional<ArchiveMember>> TarReader::next() {
  if (auto ok = skip_rest(); !ok) return ok.error();
  std::optional<std::string> long_name, long_link;
  std::map<std::string, std::string> pax;
  for (;;) {
    std::string block(k_block, '\0');
    auto n = m_source.read(block.data(), k_block);
    if (!n) return n.error();
    if (*n == 0) return std::optional<ArchiveMember>();  // the end without end blocks: accepted, as GNU tar does
    if (*n < k_block) {
      if (auto ok = m_source.read_exact(block.data() + *n, k_block - *n, "a header"); !ok) return ok.error();
    }
    auto header = parse_tar_header(block);
    if (!header) return header.error();
    if (!*header) return std::optional<ArchiveMember>();  // end-of-archive block
    const TarHeader& h = **header;
    switch (h.typeflag) {
      case 'L': {
        auto text = read_extension(h.size);
        if (!text) return text.error();
        long_name = strip_nuls(*text);
        continue;
      }
      case 'K': {
        auto text = read_extension(h.size);
        if (!text) return text.error();
        long_link = strip_nuls(*text);
        continue;
      }
      case 'x': {
        auto text = read_extension(h.size);
        if (!text) return text.error();
        auto records = parse_pax_records(*text);
        if (!records) return records.error();
        for (auto& [key, value] : *records) pax[key] = value;
        continue;
      }
      case 'g': {  // global pax header: nothing in it changes where files land
        auto text = read_extension(h.size);
        if (!text) return text.error();
        continue;
      }
      case 'S':
        return make_error(ErrorKind::unsupported,
                          "GNU sparse files in tar archives are not supported (" + h.name + ")");
      default:
        break;
    }
    ArchiveMember member;
    member.path = long_name ? *long_name : h.name;
    member.link_target = long_link ? *long_link : h.linkname;
    member.mode = h.mode;
    member.size = h.size;
    member.mtime_s = h.mtime_s;
    if (auto it = pax.find("path"); it != pax.end()) member.path = it->second;
    if (auto it = pax.find("linkpath"); it != pax.end()) member.link_target = it->second;
    if (auto it = pax.find("size"); it != pax.end()) {
      auto size = util::parse_uint(it->second, 1ll << 62);
      if (!size) return make_error(ErrorKind::protocol, "bad pax size for " + member.path);
      member.size = static_cast<std::uint64_t>(*size);
    }
    if (auto it = pax.find("mtime"); it != pax.end()) {
      auto seconds = util::parse_uint(it->second.substr(0, it->second.find('.')), 1ll << 40);
      if (seconds) member.mtime_s = *seconds;
    }
    switch (h.typeflag) {
      case '0':
      case '\0':
      case '7':
        member.type = ArchiveMember::Type::file;
        break;
      case '1':
        member.type = ArchiveMember::Type::hardlink;
        break;
      case '2':
        member.type = ArchiveMember::Type::symlink;
        break;
      case '5':
      case 'D':
        member.type = ArchiveMember::Type::directory;
        break;
      default:
        member.type = ArchiveMember::Type::other;
        break;
    }
    // Old tars mark directories by a trailing slash on a regular entry.
    if (member.type == ArchiveMember::Type::file && !member.path.empty() && member.path.back() == '/') {
      member.type = ArchiveMember::Type::directory;
    }
    // Links and ustar directories carry no data whatever their size field says; everything else
    // (GNU dumpdirs, unknown types: skipped) is followed by `size` bytes.
    const bool has_data = h.typeflag != '1' && h.typeflag != '2' && h.typeflag != '5';
    m_remaining = has_data ? member.size : 0;
    m_padding = has_data ? padding_of(member.size) : 0;
    if (member.type != ArchiveMember::Type::file) member.size = 0;
    return std::optional<ArchiveMember>(member);
  }
}

Result<std::size_t> TarReader::read_data(char* buffer, std::size_t size) {
  if (m_remaining == 0) return std::size_t{0};
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size, m_remaining));
  auto n = m_source.read(buffer, want);
  if (!n) return n.error();
  if (*n == 0) return make_error(ErrorKind::protocol, "the archive ends inside a file's data");
  m_remaining -= *n;
  return *n;
}

}  // namespace choline::agent
