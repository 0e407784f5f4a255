#pragma once
// Builders of small tar and zip archives (and gzip/zstd wrappers) for the extractor's tests,
// including the hostile ones no archiver would write.

#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace choline::testing {

class TarBuilder {
 public:
  // One member; `type` is the raw type flag ('0' file, '5' dir, '2' symlink, '1' hard link,
  // '3' char device, 'L' GNU long name, 'x' pax header).
  TarBuilder& add(const std::string& name, char type, const std::string& data = {}, const std::string& link = {},
                  unsigned mode = 0644) {
    std::string header(512, '\0');
    std::memcpy(header.data(), name.data(), std::min<std::size_t>(name.size(), 100));
    octal(header, 100, 8, mode);
    octal(header, 108, 8, 0);
    octal(header, 116, 8, 0);
    octal(header, 124, 12, data.size());
    octal(header, 136, 12, 1700000000);
    header[156] = type;
    std::memcpy(header.data() + 157, link.data(), std::min<std::size_t>(link.size(), 100));
    std::memcpy(header.data() + 257,
                "ustar\0"
                "00",
                8);
    std::memset(header.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : header) sum += c;
    char checksum[8];
    std::snprintf(checksum, sizeof checksum, "%06o", sum);
    std::memcpy(header.data() + 148, checksum, 7);
    m_bytes += header;
    m_bytes += data;
    m_bytes.append((512 - data.size() % 512) % 512, '\0');
    return *this;
  }
  TarBuilder& file(const std::string& name, const std::string& data, unsigned mode = 0644) {
    return add(name, '0', data, {}, mode);
  }
  TarBuilder& dir(const std::string& name) { return add(name, '5', {}, {}, 0755); }
  TarBuilder& symlink(const std::string& name, const std::string& target) { return add(name, '2', {}, target); }
  TarBuilder& long_name(const std::string& name, const std::string& data) {
    add("././@LongLink", 'L', name + '\0');
    return file(name.substr(0, 99), data);
  }
  TarBuilder& pax_path(const std::string& name, const std::string& data) {
    const std::string record = " path=" + name + "\n";
    std::string length;
    for (std::size_t digits = 1; digits < 8 && length.empty(); ++digits) {
      if (std::to_string(record.size() + digits).size() == digits) length = std::to_string(record.size() + digits);
    }
    add("PaxHeaders/x", 'x', length + record);
    return file("short-name-ignored", data);
  }
  std::string bytes() const { return m_bytes + std::string(1024, '\0'); }

 private:
  static void octal(std::string& header, std::size_t at, std::size_t width, std::uint64_t value) {
    char text[32];
    std::snprintf(text, sizeof text, "%0*llo", static_cast<int>(width - 1), static_cast<unsigned long long>(value));
    std::memcpy(header.data() + at, text, width - 1);
  }
  std::string m_bytes;
};

inline std::string gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

inline std::string raw_deflate(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

inline std::string zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

class ZipBuilder {
 public:
  // `unix_mode` 0: no Unix attributes (made elsewhere).
  ZipBuilder& add(const std::string& name, const std::string& data, bool deflate = true,
                  std::uint32_t unix_mode = 0100644) {
    const std::string stored = deflate ? raw_deflate(data) : data;
    const auto crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    const std::uint32_t offset = static_cast<std::uint32_t>(m_bytes.size());
    std::string local;
    u32(local, 0x04034b50);
    u16(local, 20);
    u16(local, 0);
    u16(local, deflate ? 8 : 0);
    u16(local, 0);
    u16(local, 0);
    u32(local, crc);
    u32(local, static_cast<std::uint32_t>(stored.size()));
    u32(local, static_cast<std::uint32_t>(data.size()));
    u16(local, static_cast<std::uint16_t>(name.size()));
    u16(local, 0);
    m_bytes += local + name + stored;
    std::string central;
    u32(central, 0x02014b50);
    u16(central, unix_mode ? (3 << 8) | 20 : 20);
    u16(central, 20);
    u16(central, 0);
    u16(central, deflate ? 8 : 0);
    u16(central, 0);
    u16(central, 0);
    u32(central, crc);
    u32(central, static_cast<std::uint32_t>(stored.size()));
    u32(central, static_cast<std::uint32_t>(data.size()));
    u16(central, static_cast<std::uint16_t>(name.size()));
    u16(central, 0);
    u16(central, 0);
    u16(central, 0);
    u16(central, 0);
    u32(central, unix_mode << 16);
    u32(central, offset);
    m_directory += central + name;
    ++m_count;
    return *this;
  }
  std::string bytes() const {
    std::string end;
    u32(end, 0x06054b50);
    u16(end, 0);
    u16(end, 0);
    u16(end, m_count);
    u16(end, m_count);
    u32(end, static_cast<std::uint32_t>(m_directory.size()));
    u32(end, static_cast<std::uint32_t>(m_bytes.size()));
    u16(end, 0);
    return m_bytes + m_directory + end;
  }

 private:
  static void u16(std::string& out, std::uint32_t v) {
    out += static_cast<char>(v & 0xff);
    out += static_cast<char>((v >> 8) & 0xff);
  }
  static void u32(std::string& out, std::uint32_t v) {
    u16(out, v & 0xffff);
    u16(out, v >> 16);
  }
  std::string m_bytes, m_directory;
  std::uint16_t m_count = 0;
};

}  // namespace choline::testing
