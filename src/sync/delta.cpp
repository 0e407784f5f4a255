#include <choline/sync/delta.hpp>

#include <librsync.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace choline::sync {

namespace {

constexpr std::size_t k_io_chunk = 256 * 1024;

Error rs_error(const char* what, rs_result result) {
  return make_error(ErrorKind::protocol, std::string(what) + ": " + rs_strerror(result));
}

// Drives one librsync job with pushed input. Leftover input that the job did not take is kept
// and presented again with the next push, as librsync requires.
class JobDriver {
 public:
  JobDriver(rs_job_t* job, const char* what) : m_job(job), m_what(what), m_out(k_io_chunk, '\0') {
    // librsync prints its own errors to stderr; ours say the same with the file's name.
    static const bool quiet = (rs_trace_set_level(RS_LOG_EMERG), true);
    (void)quiet;
  }
  ~JobDriver() {
    if (m_job) rs_job_free(m_job);
  }
  JobDriver(const JobDriver&) = delete;
  JobDriver& operator=(const JobDriver&) = delete;

  Status push(std::string_view input, bool eof, const ChunkSink& sink) {
    if (m_done) {
      if (!input.empty()) return make_error(ErrorKind::protocol, std::string(m_what) + ": data after the end");
      return {};
    }
    std::string_view data = input;
    if (!m_pending.empty()) {
      m_pending.append(input);
      data = m_pending;
    }
    rs_buffers_t buffers{};
    buffers.next_in = const_cast<char*>(data.data());
    buffers.avail_in = data.size();
    buffers.eof_in = eof ? 1 : 0;
    for (int idle = 0;;) {
      const std::size_t before_in = buffers.avail_in;
      buffers.next_out = m_out.data();
      buffers.avail_out = m_out.size();
      const rs_result result = rs_job_iter(m_job, &buffers);
      const std::size_t produced = m_out.size() - buffers.avail_out;
      if (produced > 0) {
        if (auto ok = sink(std::string_view(m_out.data(), produced)); !ok) return ok;
      }
      if (result == RS_DONE) {
        m_done = true;
        break;
      }
      if (result != RS_BLOCKED) return rs_error(m_what, result);
      const bool progress = produced > 0 || buffers.avail_in < before_in;
      if (!progress) {
        if (!eof) break;
        // At end of input librsync must finish; a job that stalls there was fed a bad stream.
        if (++idle > 3) return make_error(ErrorKind::protocol, std::string(m_what) + ": truncated input");
      } else {
        idle = 0;
      }
      if (buffers.avail_in == 0 && !eof && produced < m_out.size()) break;
    }
    std::string rest(buffers.next_in, buffers.avail_in);
    m_pending = std::move(rest);
    if (eof && !m_done) return make_error(ErrorKind::protocol, std::string(m_what) + ": truncated input");
    return {};
  }

  rs_job_t* job() const { return m_job; }
  bool done() const { return m_done; }

 private:
  rs_job_t* m_job;
  const char* m_what;
  std::string m_out;
  std::string m_pending;
  bool m_done = false;
};

Result<std::size_t> read_chunk(int fd, char* buffer, std::size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd, buffer, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return make_error(ErrorKind::io, std::string("read: ") + std::strerror(errno));
  }
}

Status write_fd(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::io, std::string("write: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

Status generate_signature(int fd, std::uint64_t size, const ChunkSink& sink, const ProgressHook& progress) {
  rs_magic_number magic = RS_RK_BLAKE2_SIG_MAGIC;
  size_t block_len = 0;
  size_t strong_len = 0;  // 0: the maximum (32 bytes of BLAKE2)
  if (const rs_result r = rs_sig_args(static_cast<rs_long_t>(size), &magic, &block_len, &strong_len); r != RS_DONE) {
    return rs_error("signature arguments", r);
  }
  JobDriver driver(rs_sig_begin(block_len, strong_len, magic), "signature");
  std::string buffer(k_io_chunk, '\0');
  for (;;) {
    auto n = read_chunk(fd, buffer.data(), buffer.size());
    if (!n) return n.error();
    if (auto ok = driver.push(std::string_view(buffer.data(), *n), *n == 0, sink); !ok) return ok;
    if (*n == 0) return {};
    if (progress) {
      if (auto ok = progress(); !ok) return ok;
    }
  }
}

struct SignatureLoader::Job {
  explicit Job(rs_signature_t** out) : driver(rs_loadsig_begin(out), "loading signature") {}
  JobDriver driver;
};

std::uint64_t signature_budget(std::uint64_t file_size) {
  return std::min(limits::k_max_signature_bytes,
                  std::max(limits::k_min_signature_budget, file_size / limits::k_signature_budget_divisor));
}

SignatureLoader::SignatureLoader(std::uint64_t budget) : m_job(std::make_unique<Job>(&m_signature)), m_budget(budget) {}

SignatureLoader::~SignatureLoader() {
  m_job.reset();
  if (m_signature) rs_free_sumset(m_signature);
}

Status SignatureLoader::feed(std::string_view chunk) {
  if (m_over_budget) return {};
  m_bytes += chunk.size();
  if (m_bytes > m_budget) {
    // Let go of what was loaded; the rest of this signature is read and dropped.
    m_over_budget = true;
    m_job.reset();
    if (m_signature) rs_free_sumset(m_signature);
    m_signature = nullptr;
    return {};
  }
  return m_job->driver.push(chunk, false, [](std::string_view) { return Status{}; });
}

Status SignatureLoader::finish() {
  if (m_over_budget) {
    // A signature of no blocks: the delta against it is the whole file as literal data.
    const unsigned char header[12] = {0x72, 0x73, 0x01, 0x47, 0, 0, 8, 0, 0, 0, 0, 32};  // RK+BLAKE2, 2 KiB, 32
    m_job = std::make_unique<Job>(&m_signature);
    const std::string_view bytes(reinterpret_cast<const char*>(header), sizeof header);
    if (auto ok = m_job->driver.push(bytes, true, [](std::string_view) { return Status{}; }); !ok) return ok;
  } else if (auto ok = m_job->driver.push({}, true, [](std::string_view) { return Status{}; }); !ok) {
    return ok;
  }
  if (!m_signature) return make_error(ErrorKind::protocol, "empty signature from peer");
  if (const rs_result r = rs_build_hash_table(m_signature); r != RS_DONE) return rs_error("indexing signature", r);
  return {};
}

Result<DeltaResult> generate_delta(rs_signature* signature, int fd, const ChunkSink& sink, const ProgressHook& progress) {
  JobDriver driver(rs_delta_begin(signature), "delta");
  DeltaResult result;
  util::Hash128 hash;
  std::string buffer(k_io_chunk, '\0');
  for (;;) {
    auto n = read_chunk(fd, buffer.data(), buffer.size());
    if (!n) return n.error();
    hash.update(buffer.data(), *n);
    result.size += *n;
    if (auto ok = driver.push(std::string_view(buffer.data(), *n), *n == 0, sink); !ok) return ok.error();
    if (*n == 0) break;
    if (progress) {
      if (auto ok = progress(); !ok) return ok.error();
    }
  }
  const rs_stats_t* stats = rs_job_statistics(driver.job());
  result.literal_bytes = static_cast<std::uint64_t>(stats->lit_bytes);
  result.matched_bytes = static_cast<std::uint64_t>(stats->copy_bytes);
  result.hash = hash.digest();
  return result;
}

struct Patcher::Job {
  Job(Patcher* owner) : driver(rs_patch_begin(&Job::copy, owner), "patch") {}
  // Reads the basis at the offsets the delta names. A delta naming bytes the basis does not
  // have is corrupt (librsync would otherwise spin on a zero-length copy).
  static rs_result copy(void* opaque, rs_long_t pos, size_t* len, void** buf) {
    auto* patcher = static_cast<Patcher*>(opaque);
    if (pos < 0 || patcher->m_copied + *len > patcher->m_max_copy) {
      patcher->m_copy_bound_hit = true;
      return RS_CORRUPT;
    }
    for (;;) {
      const ssize_t n = ::pread(patcher->m_basis_fd, *buf, *len, static_cast<off_t>(pos));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return RS_IO_ERROR;
      if (n == 0) return RS_CORRUPT;
      *len = static_cast<size_t>(n);
      patcher->m_copied += *len;
      return RS_DONE;
    }
  }
  JobDriver driver;
};

std::uint64_t copy_budget(std::uint64_t basis_size) {
  return basis_size * limits::k_max_delta_copy_factor + limits::k_delta_copy_slack_bytes;
}

Patcher::Patcher(int basis_fd, int out_fd, std::uint64_t max_output, std::uint64_t max_copy)
    : m_job(std::make_unique<Job>(this)), m_basis_fd(basis_fd), m_out_fd(out_fd), m_max_output(max_output),
      m_max_copy(max_copy) {}

Patcher::~Patcher() = default;

Status Patcher::write_output(std::string_view out) {
  if (m_written + out.size() > m_max_output) {
    return make_error(ErrorKind::protocol, "delta from peer produces more than the announced " +
                                               std::to_string(m_max_output) + " bytes");
  }
  m_written += out.size();
  m_hash.update(out.data(), out.size());
  if (auto ok = write_fd(m_out_fd, out); !ok) return ok;
  return m_progress ? m_progress() : Status{};
}

Status Patcher::check_copy_bound(Status status) const {
  if (status || !m_copy_bound_hit) return status;
  return make_error(ErrorKind::protocol, "delta from peer copies more than " + std::to_string(m_max_copy) +
                                             " bytes from the old copy (" + std::to_string(limits::k_max_delta_copy_factor) +
                                             " times its size): refused as an amplification");
}

Status Patcher::feed(std::string_view chunk) {
  return check_copy_bound(m_job->driver.push(chunk, false, [this](std::string_view out) { return write_output(out); }));
}

Status Patcher::finish() {
  return check_copy_bound(m_job->driver.push({}, true, [this](std::string_view out) { return write_output(out); }));
}

}  // namespace choline::sync
