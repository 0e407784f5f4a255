#include <choline/sync/protocol.hpp>
#include <choline/sync/wire.hpp>

#include "fakes/pipe_stream.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace choline;
using namespace choline::sync;

TEST_CASE("Encoder and Decoder round-trip integers and strings", "[sync]") {
  Encoder out;
  out.u8(7).u32(0xdeadbeef).u64(1ull << 40).i64(-5).str("hello");
  Decoder in(out.bytes());
  CHECK(in.u8().value() == 7);
  CHECK(in.u32().value() == 0xdeadbeef);
  CHECK(in.u64().value() == (1ull << 40));
  CHECK(in.i64().value() == -5);
  CHECK(in.str(100).value() == "hello");
  CHECK(in.finish("test").ok());
}

TEST_CASE("Decoder refuses truncated input, long strings and trailing bytes", "[sync]") {
  Encoder out;
  out.str("0123456789");
  CHECK_FALSE(Decoder(out.bytes()).str(5).ok());
  CHECK_FALSE(Decoder(std::string_view(out.bytes()).substr(0, 6)).str(100).ok());
  const std::string two_bytes("\x01\x02", 2);
  Decoder in(two_bytes);
  CHECK(in.u8().ok());
  CHECK_FALSE(in.finish("x").ok());
  CHECK_FALSE(Decoder(std::string_view()).u64().ok());
}

TEST_CASE("Frames survive a stream and oversized frames are refused before allocation", "[sync]") {
  auto pair = fakes::make_stream_pair();
  // The writer runs on its own thread: 300 KB does not fit in a pipe.
  std::thread writer_thread([&] {
    FrameWriter writer(*pair.a);
    (void)writer.write(3, "abc");
    (void)writer.write(4, std::string(300000, 'x'));
    (void)writer.flush();
    // A hand-made header announcing 2 GiB.
    const char bogus[5] = {9, 0, 0, 0, static_cast<char>(0x80)};
    (void)pair.a->write_all(bogus, sizeof bogus);
  });
  FrameReader reader(*pair.b);
  auto first = reader.read();
  REQUIRE(first.ok());
  CHECK(first->type == 3);
  CHECK(first->payload == "abc");
  auto second = reader.read();
  REQUIRE(second.ok());
  CHECK(second->payload.size() == 300000);
  auto third = reader.read();
  REQUIRE_FALSE(third.ok());
  CHECK(third.error().kind == ErrorKind::protocol);
  CHECK_THAT(third.error().message, Catch::Contains("exceeds the limit"));
  writer_thread.join();
}

TEST_CASE("A stream that ends mid-frame is an error, not a hang", "[sync]") {
  auto pair = fakes::make_stream_pair();
  const char partial[7] = {1, 0x10, 0, 0, 0, 'a', 'b'};  // announces 16 bytes, sends 2
  REQUIRE(pair.a->write_all(partial, sizeof partial).ok());
  pair.a->close_write();
  FrameReader reader(*pair.b);
  auto frame = reader.read();
  REQUIRE_FALSE(frame.ok());
  CHECK_THAT(frame.error().message, Catch::Contains("closed the connection"));
}

TEST_CASE("Entries round-trip and hostile fields are caught", "[sync]") {
  FileEntry entry{"a/b.txt", EntryType::file, 0755, 12345, 1700000000123456789, "", true};
  Encoder out;
  encode_entry(out, entry);
  Decoder in(out.bytes());
  CHECK(decode_entry(in).value() == entry);

  Encoder setuid;
  encode_entry(setuid, FileEntry{"x", EntryType::file, 04755, 1, 0, "", false});
  Decoder setuid_in(setuid.bytes());
  CHECK(decode_entry(setuid_in).value().mode == 0755);

  Encoder bad_type;
  bad_type.str("dev").u8(9).u32(0).u64(0).i64(0).str("").u8(0);
  Decoder bad_type_in(bad_type.bytes());
  CHECK_THAT(decode_entry(bad_type_in).error().message, Catch::Contains("unknown entry type"));

  Encoder huge;
  huge.str("big").u8(1).u32(0644).u64(1ull << 50).i64(0).str("").u8(0);
  Decoder huge_in(huge.bytes());
  CHECK_THAT(decode_entry(huge_in).error().message, Catch::Contains("too large"));
}

TEST_CASE("Hello carries only the protocol, never options, and refuses other protocols", "[sync][security]") {
  CHECK(decode_hello(encode_hello()).ok());
  Encoder other;
  other.str("rsync").u32(1);
  CHECK_THAT(decode_hello(other.bytes()).error().message, Catch::Contains("does not speak choline-sync"));
  Encoder future;
  future.str(k_protocol_magic).u32(99);
  CHECK_THAT(decode_hello(future.bytes()).error().message, Catch::Contains("upgrade choline"));
  // Version 1 carried a delete flag the receiver obeyed: a host could make the laptop delete.
  // Anything after the version is now refused, whatever it says.
  Encoder with_flags;
  with_flags.str(k_protocol_magic).u32(k_protocol_version).u8(1).u32(0);
  CHECK_THAT(decode_hello(with_flags.bytes()).error().message, Catch::Contains("trailing bytes"));
}
