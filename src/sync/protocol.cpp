#include <choline/sync/protocol.hpp>

#include <choline/sync/path_safety.hpp>

namespace choline::sync {

std::string encode_hello() {
  Encoder out;
  out.str(k_protocol_magic).u32(k_protocol_version);
  return out.take();
}

Status decode_hello(std::string_view payload) {
  Decoder in(payload);
  auto magic = in.str(64);
  if (!magic || *magic != k_protocol_magic) return make_error(ErrorKind::protocol, "the peer does not speak choline-sync");
  auto version = in.u32();
  if (!version) return version.error();
  if (*version != k_protocol_version) {
    return make_error(ErrorKind::protocol, "sync protocol version " + std::to_string(*version) + " from peer, expected " +
                                               std::to_string(k_protocol_version) + ": upgrade choline on both sides");
  }
  return in.finish("hello");
}

void encode_entry(Encoder& out, const FileEntry& entry) {
  out.str(entry.path).u8(static_cast<std::uint8_t>(entry.type)).u32(entry.mode).u64(entry.size).i64(entry.mtime_ns);
  out.str(entry.link_target).u8(entry.racy ? 1 : 0);
}

Result<FileEntry> decode_entry(Decoder& in) {
  FileEntry entry;
  auto path = in.str(k_max_path_length);
  if (!path) return path.error();
  entry.path = std::move(*path);
  auto type = in.u8();
  if (!type) return type.error();
  if (*type < 1 || *type > 3) return make_error(ErrorKind::protocol, "unknown entry type " + std::to_string(*type) + " from peer");
  entry.type = static_cast<EntryType>(*type);
  auto mode = in.u32();
  auto size = in.u64();
  auto mtime = in.i64();
  if (!mode || !size || !mtime) return make_error(ErrorKind::protocol, "truncated entry from peer");
  // Only permission bits travel: a peer cannot make us create setuid files or devices.
  entry.mode = *mode & 0777;
  if (*size > k_max_file_size) return make_error(ErrorKind::protocol, "file size " + std::to_string(*size) + " from peer is too large");
  entry.size = *size;
  entry.mtime_ns = *mtime;
  auto target = in.str(k_max_path_length);
  if (!target) return target.error();
  entry.link_target = std::move(*target);
  auto racy = in.u8();
  if (!racy) return racy.error();
  entry.racy = *racy != 0;
  return entry;
}

std::string encode_error(std::string_view message) {
  Encoder out;
  out.str(message.substr(0, 4096));
  return out.take();
}

}  // namespace choline::sync
