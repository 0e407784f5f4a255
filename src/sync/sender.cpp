#include <choline/sync/delta.hpp>
#include <choline/sync/report.hpp>
#include <choline/sync/sync.hpp>
#include <choline/util/blocking_queue.hpp>
#include <choline/util/hash.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace choline::sync {

namespace {

// A file-list frame closes at whichever comes first; paths can be up to 4 KiB long, so the
// count alone could overflow the frame limit.
constexpr std::size_t k_entries_per_frame = 2000;
constexpr std::size_t k_entry_bytes_per_frame = 512 * 1024;

struct Request {
  std::uint64_t index = 0;
  TransferKind kind = TransferKind::whole;
  std::unique_ptr<SignatureLoader> signature;  // delta requests only
};

// What the reader thread learned from the receiver besides requests.
struct ReceiverReply {
  std::optional<Error> fatal;
  std::optional<Report> report;
  std::atomic<std::uint64_t> files_asked{0}, bytes_asked{0};  // for SyncOptions::progress
};

// How the main thread answered the requests, for the reader thread to hold the receiver's
// report against (check_report).
struct Answers {
  std::atomic<std::uint64_t> sent{0};     // files sent to their FILE_END
  std::atomic<std::uint64_t> aborted{0};  // requests answered with FILE_ABORT
  std::atomic<bool> all{false};           // every request answered; set before DONE goes out
};

// Bytes of signatures received and not yet answered. The reader waits while the total is over
// the bound, so however fast a receiver sends signatures, the sender holds at most the bound
// plus one signature (and TCP pushes back on the receiver).
class QueuedSignatures {
 public:
  void add(std::uint64_t bytes) {
    std::lock_guard lock(m_mutex);
    m_bytes += bytes;
  }
  void release(std::uint64_t bytes) {
    {
      std::lock_guard lock(m_mutex);
      m_bytes -= std::min(bytes, m_bytes);
    }
    m_changed.notify_all();
  }
  // Returns false if closed while waiting.
  bool wait_below(std::uint64_t bound) {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_closed || m_bytes < bound; });
    return !m_closed;
  }
  void close() {
    {
      std::lock_guard lock(m_mutex);
      m_closed = true;
    }
    m_changed.notify_all();
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::uint64_t m_bytes = 0;
  bool m_closed = false;
};

// Reads everything the receiver sends: requests go to the queue as soon as their signature is
// complete, so the sender's main thread can stream data while more requests arrive. Each file
// may be asked for once: what the sender uploads is bounded by what it offered (2,000 repeated
// 13-byte requests once made it upload one file 2,000 times).
void read_replies(transport::Stream& stream, FrameReader& reader, const std::vector<FileEntry>& entries,
                  util::BlockingQueue<Request>& requests, QueuedSignatures& queued, const Answers& answers,
                  ReceiverReply& reply) {
  // However this ends, the main thread must stop waiting for requests.
  struct CloseOnExit {
    util::BlockingQueue<Request>& queue;
    ~CloseOnExit() { queue.close(); }
  } close_on_exit{requests};
  std::vector<bool> asked(entries.size(), false);
  std::unique_ptr<Request> pending_delta;
  bool requests_ended = false;
  // A fatal reply ends the sync: the main thread's writes must not wait on a receiver that
  // stopped reading.
  auto fail = [&](Error error) {
    reply.fatal = std::move(error);
    stream.abort();
  };
  for (;;) {
    auto frame = reader.read();
    if (!frame) return fail(frame.error());
    Decoder in(frame->payload);
    switch (static_cast<Msg>(frame->type)) {
      case Msg::req_whole:
      case Msg::req_delta: {
        auto index = in.u64();
        if (!index || !in.at_end() || *index >= entries.size() || pending_delta || requests_ended) {
          return fail(make_error(ErrorKind::protocol, "bad request from receiver"));
        }
        if (entries[*index].type != EntryType::file) {
          return fail(make_error(ErrorKind::protocol,
                                 "the receiver asked for " + entries[*index].path + ", which is not a file"));
        }
        if (asked[*index]) {
          return fail(make_error(ErrorKind::protocol, "the receiver asked for " + entries[*index].path + " twice"));
        }
        asked[*index] = true;
        ++reply.files_asked;
        reply.bytes_asked += entries[*index].size;
        auto request = std::make_unique<Request>();
        request->index = *index;
        if (static_cast<Msg>(frame->type) == Msg::req_whole) {
          requests.push(std::move(*request));
        } else {
          request->kind = TransferKind::delta;
          request->signature = std::make_unique<SignatureLoader>(signature_budget(entries[*index].size));
          pending_delta = std::move(request);
        }
        break;
      }
      case Msg::sig:
        if (!pending_delta) return fail(make_error(ErrorKind::protocol, "signature data without a request"));
        if (auto ok = pending_delta->signature->feed(frame->payload); !ok) return fail(ok.error());
        break;
      case Msg::sig_end: {
        if (!pending_delta || !frame->payload.empty())
          return fail(make_error(ErrorKind::protocol, "signature end without a request"));
        if (auto ok = pending_delta->signature->finish(); !ok) return fail(ok.error());
        const std::uint64_t bytes = pending_delta->signature->bytes();
        queued.add(bytes);
        requests.push(std::move(*pending_delta));
        pending_delta.reset();
        if (!queued.wait_below(limits::k_max_queued_signature_bytes)) return;
        break;
      }
      case Msg::reqs_end:
        if (requests_ended || pending_delta || !frame->payload.empty()) {
          return fail(make_error(ErrorKind::protocol, "bad end of requests from receiver"));
        }
        requests_ended = true;
        requests.close();
        break;
      case Msg::keepalive:
        break;
      case Msg::report: {
        auto report = decode_report(frame->payload);
        if (!report) return fail(report.error());
        // `all` first: once it is set, the counts are final.
        const bool answered_all = answers.all.load();
        const SenderAccount account{requests_ended, answered_all, answers.sent.load(), answers.aborted.load()};
        if (auto ok = check_report(*report, account); !ok) return fail(ok.error());
        reply.report = std::move(*report);
        return;
      }
      case Msg::error: {
        auto message = in.str(limits::k_max_error_message);
        return fail(make_error(ErrorKind::remote, "receiver: " + (message ? util::printable(*message, 4096)
                                                                          : std::string("unknown error"))));
      }
      default:
        return fail(
            make_error(ErrorKind::protocol, "unexpected message " + std::to_string(frame->type) + " from receiver"));
    }
  }
}

class Sender {
 public:
  Sender(const std::filesystem::path& root, std::vector<FileEntry> entries, FrameWriter& writer, Answers& answers)
      : m_root(root), m_entries(std::move(entries)), m_writer(writer), m_answers(answers) {}

  Status send_entries() {
    if (auto ok = m_writer.write(static_cast<std::uint8_t>(Msg::hello), encode_hello()); !ok) return ok;
    Encoder batch;
    std::uint32_t in_batch = 0;
    const auto send_batch = [&]() -> Status {
      if (in_batch == 0) return {};
      Encoder frame;
      frame.u32(in_batch).raw(batch.bytes());
      batch = Encoder();
      in_batch = 0;
      return m_writer.write(static_cast<std::uint8_t>(Msg::entries), frame.bytes());
    };
    for (const auto& entry : m_entries) {
      encode_entry(batch, entry);
      if (++in_batch == k_entries_per_frame || batch.bytes().size() >= k_entry_bytes_per_frame) {
        if (auto ok = send_batch(); !ok) return ok;
      }
    }
    if (auto ok = send_batch(); !ok) return ok;
    if (auto ok = m_writer.write(static_cast<std::uint8_t>(Msg::entries_end), {}); !ok) return ok;
    return m_writer.flush();
  }

  // Sends one requested file. A file that vanished or cannot be read is aborted (the receiver
  // keeps its old copy and reports it), not fatal.
  Status send_file(const Request& request) {
    const FileEntry& entry = m_entries[request.index];
    const int fd = ::open((m_root / entry.path).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return abort_file(request.index, std::string("cannot read: ") + std::strerror(errno));
    struct FdCloser {
      int fd;
      ~FdCloser() { ::close(fd); }
    } closer{fd};

    Encoder begin;
    begin.u64(request.index).u8(static_cast<std::uint8_t>(request.kind));
    if (auto ok = m_writer.write(static_cast<std::uint8_t>(Msg::file_begin), begin.bytes()); !ok) return ok;
    const ChunkSink send_data = [this](std::string_view chunk) {
      if (m_on_data) m_on_data(chunk.size());
      return m_writer.write(static_cast<std::uint8_t>(Msg::data), chunk);
    };
    std::uint64_t size = 0;
    std::string hash;
    if (request.kind == TransferKind::delta) {
      // A file that matches its old copy makes almost no delta: keep the receiver's wait alive.
      auto delta = generate_delta(request.signature->signature(), fd, send_data, [this] {
        return m_writer.keepalive_if_due(static_cast<std::uint8_t>(Msg::keepalive));
      });
      if (!delta) return delta.error();
      m_literal += delta->literal_bytes;
      m_matched += delta->matched_bytes;
      size = delta->size;
      hash = delta->hash;
    } else {
      util::Hash128 hasher;
      std::string buffer(k_data_chunk, '\0');
      for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(ErrorKind::io, "reading " + entry.path + ": " + std::strerror(errno));
        if (n == 0) break;
        hasher.update(buffer.data(), static_cast<std::size_t>(n));
        size += static_cast<std::size_t>(n);
        if (auto ok = send_data(std::string_view(buffer.data(), static_cast<std::size_t>(n))); !ok) return ok;
      }
      m_literal += size;
      hash = hasher.digest();
    }
    Encoder end;
    end.u64(size).raw(hash);
    if (auto ok = m_writer.write(static_cast<std::uint8_t>(Msg::file_end), end.bytes()); !ok) return ok;
    ++m_answers.sent;
    return {};
  }

  Status send_done() {
    Encoder done;
    done.u64(m_literal).u64(m_matched);
    if (auto ok = m_writer.write(static_cast<std::uint8_t>(Msg::done), done.bytes()); !ok) return ok;
    return m_writer.flush();
  }

  std::uint64_t literal() const { return m_literal; }
  std::uint64_t matched() const { return m_matched; }
  std::size_t entry_count() const { return m_entries.size(); }
  const std::vector<FileEntry>& entries() const { return m_entries; }
  void on_data(std::function<void(std::uint64_t)> callback) { m_on_data = std::move(callback); }

 private:
  Status abort_file(std::uint64_t index, const std::string& why) {
    Encoder abort;
    abort.u64(index).str(why);
    if (auto ok = m_writer.write(static_cast<std::uint8_t>(Msg::file_abort), abort.bytes()); !ok) return ok;
    ++m_answers.aborted;
    return {};
  }

  std::filesystem::path m_root;
  std::vector<FileEntry> m_entries;
  FrameWriter& m_writer;
  Answers& m_answers;
  std::uint64_t m_literal = 0;
  std::uint64_t m_matched = 0;
  std::function<void(std::uint64_t)> m_on_data;
};

}  // namespace

Result<SyncStats> run_sender(const std::filesystem::path& root, transport::Stream& stream, const SyncOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  Result<std::vector<FileEntry>> entries = std::vector<FileEntry>{};
  if (options.entries) {
    entries = *options.entries;
  } else {
    IgnoreRules rules = IgnoreRules::with_defaults();
    for (const auto& pattern : options.extra_ignore) rules.add_pattern(pattern);
    entries = scan_tree(root, std::move(rules), options.ignore_files);
  }
  if (!entries) return entries.error();
  spdlog::debug("sync: {} entries under {}", entries->size(), root.string());

  stream.set_idle_timeout(options.idle_timeout);
  FrameWriter writer(stream);
  FrameReader reader(stream);
  Answers answers;
  Sender sender(root, std::move(*entries), writer, answers);
  util::BlockingQueue<Request> requests;
  QueuedSignatures queued;
  ReceiverReply reply;
  std::thread reader_thread(read_replies, std::ref(stream), std::ref(reader), std::cref(sender.entries()),
                            std::ref(requests), std::ref(queued), std::cref(answers), std::ref(reply));

  // Progress counts a file's bytes as they are sent, and the whole file once it ended (a delta
  // sends less than its file).
  SyncProgress progress;
  std::uint64_t finished_bytes = 0;
  const auto report = [&] {
    progress.files_wanted = reply.files_asked;
    progress.bytes_wanted = reply.bytes_asked;
    options.progress(progress);
  };
  if (options.progress) {
    sender.on_data([&](std::uint64_t bytes) {
      progress.bytes_done += bytes;
      report();
    });
  }

  Status status = sender.send_entries();
  while (status) {
    auto request = requests.pop();
    if (!request) break;
    status = sender.send_file(*request);
    if (request->signature) queued.release(request->signature->bytes());
    if (options.progress) {
      finished_bytes += sender.entries()[request->index].size;
      progress.bytes_done = finished_bytes;
      ++progress.files_done;
      report();
    }
  }
  queued.close();
  if (status) {
    // Before DONE goes out: an honest report can only come after the receiver has read it.
    answers.all = true;
    status = sender.send_done();
  }
  if (status) {
    reader_thread.join();  // until the report; the idle timeout bounds a receiver that never sends one
  } else {
    // Tell the receiver why, so both sides report the same cause; closing our side ends a
    // cooperative receiver, whose exit ends the reader thread. One that stopped reading or
    // answering gets the grace period, then the stream is aborted under both threads.
    transport::AbortTimer abort_timer(stream, limits::k_shutdown_grace);
    (void)writer.write(static_cast<std::uint8_t>(Msg::error), encode_error(status.error().message));
    (void)writer.flush();
    stream.close_write();
    reader_thread.join();
  }
  // The receiver's own account of a failure beats ours (ours is often just "connection
  // closed"), except for an interruption: that cause is ours.
  if (!status && status.error().kind == ErrorKind::interrupted) return status.error();
  if (reply.fatal) return *reply.fatal;
  if (!status) return status.error();
  if (!reply.report) return make_error(ErrorKind::protocol, "the receiver ended without a report");

  SyncStats stats;
  stats.files_total = sender.entry_count();
  stats.files_transferred = reply.report->transferred;
  stats.files_deleted = reply.report->deleted;
  stats.bytes_literal = sender.literal();
  stats.bytes_matched = sender.matched();
  stats.bytes_sent = writer.bytes_written();
  stats.bytes_received = reader.bytes_read();
  stats.errors = std::move(reply.report->errors);
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return stats;
}

}  // namespace choline::sync
