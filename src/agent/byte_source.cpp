#include <choline/agent/byte_source.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <cerrno>
#include <cstring>

namespace choline::agent {

namespace {

constexpr std::size_t k_buffer = 1 << 18;

class FileSource final : public ByteSource {
 public:
  explicit FileSource(int fd) : m_fd(fd) {}
  ~FileSource() override { ::close(m_fd); }

  Result<std::size_t> read(char* buffer, std::size_t size) override {
    for (;;) {
      const ssize_t n = ::read(m_fd, buffer, size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return make_error(ErrorKind::io, std::string("reading the archive: ") + std::strerror(errno));
    }
  }

 private:
  int m_fd;
};

class GzipSource final : public ByteSource {
 public:
  explicit GzipSource(std::unique_ptr<ByteSource> input) : m_input(std::move(input)), m_in(k_buffer, '\0') {
    // 15 + 32: a zlib or gzip header, detected.
    m_ready = inflateInit2(&m_stream, 15 + 32) == Z_OK;
  }
  ~GzipSource() override {
    if (m_ready) inflateEnd(&m_stream);
  }

  Result<std::size_t> read(char* buffer, std::size_t size) override {
    if (!m_ready) return make_error(ErrorKind::internal, "zlib failed to start");
    m_stream.next_out = reinterpret_cast<Bytef*>(buffer);
    m_stream.avail_out = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    while (m_stream.avail_out > 0 && !m_done) {
      if (m_stream.avail_in == 0) {
        auto n = m_input->read(m_in.data(), m_in.size());
        if (!n) return n.error();
        if (*n == 0) {
          if (m_in_member) return make_error(ErrorKind::protocol, "the gzip stream ends early (a cut download?)");
          m_done = true;
          break;
        }
        m_stream.next_in = reinterpret_cast<Bytef*>(m_in.data());
        m_stream.avail_in = static_cast<uInt>(*n);
      }
      m_in_member = true;
      const int code = inflate(&m_stream, Z_NO_FLUSH);
      if (code == Z_STREAM_END) {
        m_in_member = false;
        inflateReset(&m_stream);  // another member may follow
      } else if (code != Z_OK && code != Z_BUF_ERROR) {
        return make_error(ErrorKind::protocol,
                          std::string("corrupt gzip data: ") + (m_stream.msg ? m_stream.msg : "error"));
      }
    }
    return size - m_stream.avail_out;
  }

 private:
  std::unique_ptr<ByteSource> m_input;
  std::string m_in;
  z_stream m_stream{};
  bool m_ready = false;
  bool m_in_member = false;
  bool m_done = false;
};

class ZstdSource final : public ByteSource {
 public:
  explicit ZstdSource(std::unique_ptr<ByteSource> input)
      : m_input(std::move(input)), m_in(ZSTD_DStreamInSize(), '\0'), m_stream(ZSTD_createDStream()) {
    // A frame may ask for a window of up to 2^31 bytes; 2^27 (128 MiB) is zstd's default bound
    // for what a decoder accepts, and what `zstd --long` without a larger window writes.
    ZSTD_DCtx_setParameter(m_stream, ZSTD_d_windowLogMax, 27);
  }
  ~ZstdSource() override { ZSTD_freeDStream(m_stream); }

  Result<std::size_t> read(char* buffer, std::size_t size) override {
    ZSTD_outBuffer out{buffer, size, 0};
    while (out.pos < out.size && !m_done) {
      if (m_input_buffer.pos == m_input_buffer.size) {
        auto n = m_input->read(m_in.data(), m_in.size());
        if (!n) return n.error();
        if (*n == 0) {
          if (m_pending != 0) return make_error(ErrorKind::protocol, "the zstd stream ends early (a cut download?)");
          m_done = true;
          break;
        }
        m_input_buffer = {m_in.data(), *n, 0};
      }
      m_pending = ZSTD_decompressStream(m_stream, &out, &m_input_buffer);
      if (ZSTD_isError(m_pending)) {
        return make_error(ErrorKind::protocol, std::string("corrupt zstd data: ") + ZSTD_getErrorName(m_pending));
      }
    }
    return out.pos;
  }

 private:
  std::unique_ptr<ByteSource> m_input;
  std::string m_in;
  ZSTD_DStream* m_stream;
  ZSTD_inBuffer m_input_buffer{nullptr, 0, 0};
  std::size_t m_pending = 0;  // non-zero inside a frame
  bool m_done = false;
};

}  // namespace

Status ByteSource::read_exact(char* buffer, std::size_t size, const char* what) {
  std::size_t done = 0;
  while (done < size) {
    auto n = read(buffer + done, size - done);
    if (!n) return n.error();
    if (*n == 0) return make_error(ErrorKind::protocol, std::string("the archive ends inside ") + what);
    done += *n;
  }
  return {};
}

Status ByteSource::skip(std::uint64_t size, const char* what) {
  std::string buffer(std::min<std::uint64_t>(size, k_buffer), '\0');
  while (size > 0) {
    const std::size_t piece = static_cast<std::size_t>(std::min<std::uint64_t>(size, buffer.size()));
    if (auto ok = read_exact(buffer.data(), piece, what); !ok) return ok;
    size -= piece;
  }
  return {};
}

Result<std::unique_ptr<ByteSource>> open_file_source(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorKind::io, "cannot open " + path.string() + ": " + std::strerror(errno));
  return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(fd));
}

std::unique_ptr<ByteSource> make_gzip_source(std::unique_ptr<ByteSource> input) {
  return std::make_unique<GzipSource>(std::move(input));
}

std::unique_ptr<ByteSource> make_zstd_source(std::unique_ptr<ByteSource> input) {
  return std::make_unique<ZstdSource>(std::move(input));
}

}  // namespace choline::agent
