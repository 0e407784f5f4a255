// The receiving end of a sync: reads the sender's frames on this thread and hands each kind to
// its handler, while the generator (generator.hpp) asks for files on its own thread and the
// applier (applier.hpp) writes what arrives. Once the sender is done: directory modes, the
// deletion rescan (prune.hpp), and the REPORT back.
#include <choline/limits.hpp>
#include <choline/sync/report.hpp>
#include <choline/sync/sync.hpp>
#include <choline/util/strings.hpp>

#include "applier.hpp"
#include "generator.hpp"
#include "prune.hpp"
#include "request_ledger.hpp"

#include <chrono>
#include <deque>
#include <thread>

namespace choline::sync {

namespace {

// The sender's side of the conversation, one handler per message kind. Every handler returns
// an error only for what ends the transfer (a malformed or out-of-order frame, the sender's
// ERROR); per-file trouble goes to the ledger.
class FrameLoop {
 public:
  FrameLoop(const SyncOptions& options, std::deque<FileEntry>& entries, EntryQueue& queue, Applier& applier)
      : m_options(options), m_entries(entries), m_queue(queue), m_applier(applier) {}

  // Reads frames until DONE (success) or an error.
  Status run(FrameReader& reader) {
    while (!m_done) {
      auto frame = reader.read();
      if (!frame) return frame.error();
      Status status = handle(*frame);
      if (m_options.progress) {
        if (frame->type == static_cast<std::uint8_t>(Msg::file_end)) ++m_progress.files_done;
        m_progress.bytes_done = reader.bytes_read();
        m_options.progress(m_progress);
      }
      if (!status) return status;
    }
    return {};
  }

  std::uint64_t literal() const { return m_literal; }
  std::uint64_t matched() const { return m_matched; }

 private:
  Status handle(const Frame& frame) {
    const std::string_view payload = frame.payload;
    switch (static_cast<Msg>(frame.type)) {
      case Msg::entries:
        return on_entries(payload);
      case Msg::entries_end:
        return on_entries_end(payload);
      case Msg::file_begin:
        return on_file_begin(payload);
      case Msg::data:
        return m_applier.data(payload);
      case Msg::file_end:
        return on_file_end(payload);
      case Msg::file_abort:
        return on_file_abort(payload);
      case Msg::done:
        return on_done(payload);
      case Msg::error:
        return on_error(payload);
      case Msg::keepalive:
        return {};
      default:
        return make_error(ErrorKind::protocol, "unexpected message " + std::to_string(frame.type) + " from sender");
    }
  }

  Status on_entries(std::string_view payload) {
    Decoder in(payload);
    auto count = in.u32();
    if (m_entries_done || !count || *count > limits::k_max_entries_per_frame) {
      return make_error(ErrorKind::protocol, "bad file list from sender");
    }
    for (std::uint32_t i = 0; i < *count; ++i) {
      auto entry = decode_entry(in);
      if (!entry) return entry.error();
      m_entry_bytes += entry->path.size() + entry->link_target.size() + limits::k_entry_overhead_bytes;
      if (m_entries.size() >= k_max_entries || m_entry_bytes > m_options.max_entry_list_bytes) {
        return make_error(ErrorKind::protocol, "the sender's file list is over the limit (" +
                                                   std::to_string(k_max_entries) + " files or " +
                                                   std::to_string(m_options.max_entry_list_bytes >> 20) +
                                                   " MiB of names); sync fewer files at once");
      }
      m_entries.push_back(std::move(*entry));
      m_queue.push({m_entries.size() - 1, &m_entries.back()});
    }
    return in.finish("file list");
  }

  Status on_entries_end(std::string_view payload) {
    if (m_entries_done || !payload.empty())
      return make_error(ErrorKind::protocol, "bad end of the file list from sender");
    m_entries_done = true;
    m_queue.close();
    return {};
  }

  Status on_file_begin(std::string_view payload) {
    Decoder in(payload);
    auto index = in.u64();
    auto kind = in.u8();
    if (!index || !kind || !in.at_end() || *index >= m_entries.size() || (*kind != 1 && *kind != 2)) {
      return make_error(ErrorKind::protocol, "bad file header from sender");
    }
    return m_applier.begin(*index, static_cast<TransferKind>(*kind));
  }

  Status on_file_end(std::string_view payload) {
    Decoder in(payload);
    auto size = in.u64();
    if (!size || payload.size() != 8 + 16) return make_error(ErrorKind::protocol, "bad file trailer from sender");
    return m_applier.end(*size, std::string(payload.substr(8)));
  }

  Status on_file_abort(std::string_view payload) {
    Decoder in(payload);
    auto index = in.u64();
    auto why = in.str(4096);
    if (!index || !why) return make_error(ErrorKind::protocol, "bad abort from sender");
    return m_applier.abort(*index, *why);
  }

  Status on_done(std::string_view payload) {
    Decoder in(payload);
    auto literal = in.u64();
    auto matched = in.u64();
    if (!m_entries_done || !literal || !matched) return make_error(ErrorKind::protocol, "early or bad end from sender");
    if (m_applier.in_file())
      return make_error(ErrorKind::protocol, "the sender ended the sync in the middle of a file");
    m_literal = *literal;
    m_matched = *matched;
    m_done = true;
    return {};
  }

  Status on_error(std::string_view payload) {
    Decoder in(payload);
    auto message = in.str(limits::k_max_error_message);
    return make_error(ErrorKind::remote,
                      "sender: " + (message ? util::printable(*message, 4096) : std::string("unknown error")));
  }

  const SyncOptions& m_options;
  std::deque<FileEntry>& m_entries;
  EntryQueue& m_queue;
  Applier& m_applier;
  std::uint64_t m_entry_bytes = 0;  // memory the list holds (limits::k_max_entry_list_bytes)
  bool m_entries_done = false;
  bool m_done = false;
  std::uint64_t m_literal = 0, m_matched = 0;
  SyncProgress m_progress;  // for options.progress
};

}  // namespace

Result<SyncStats> run_receiver(const std::filesystem::path& root, transport::Stream& stream,
                               const SyncOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  stream.set_idle_timeout(options.idle_timeout);
  FrameReader reader(stream);
  FrameWriter writer(stream);
  auto fail = [&](Error error) -> Result<SyncStats> {
    if (!stream.aborted()) {
      transport::AbortTimer abort_timer(stream, limits::k_shutdown_grace);
      (void)writer.write(static_cast<std::uint8_t>(Msg::error), encode_error(error.message));
      (void)writer.flush();
    }
    return error;
  };

  auto hello = reader.read();
  if (!hello) return hello.error();
  if (hello->type != static_cast<std::uint8_t>(Msg::hello)) {
    return fail(make_error(ErrorKind::protocol, "expected hello from sender"));
  }
  if (auto ok = decode_hello(hello->payload); !ok) return fail(ok.error());
  auto generator_root = SafeRoot::open(root, true);
  if (!generator_root) return fail(generator_root.error());
  auto applier_root = SafeRoot::open(root, false);
  if (!applier_root) return fail(applier_root.error());

  RequestLedger ledger;
  EntryQueue queue;
  Status generator_status;
  std::thread generator_thread([&, root_handle = std::move(*generator_root)]() mutable {
    generator_status = Generator(std::move(root_handle), writer, ledger, queue).run();
  });

  std::deque<FileEntry> entries;
  Applier applier(std::move(*applier_root), entries, ledger, writer);
  FrameLoop loop(options, entries, queue, applier);
  Status status = loop.run(reader);
  queue.close();
  if (status) {
    generator_thread.join();
  } else {
    // The generator may be blocked writing requests to a sender that stopped reading: give it
    // the grace period to finish, then abort the stream under it.
    transport::AbortTimer abort_timer(stream, limits::k_shutdown_grace);
    generator_thread.join();
  }
  if (status && !generator_status) status = generator_status;
  // Only now, with the generator done, is the set of requests final.
  if (status) status = ledger.check_all_answered(entries);
  if (status) status = applier.commit();
  if (!status) {
    applier.discard();
    ledger.log_omitted();
    return status.error().kind == ErrorKind::remote ? Result<SyncStats>(status.error()) : fail(status.error());
  }
  apply_directory_modes(applier.root(), entries);
  std::uint64_t deleted = 0;
  if (options.delete_extraneous) deleted = delete_extraneous(root, applier.root(), entries, options, ledger);

  SyncStats stats;
  stats.files_total = entries.size();
  stats.files_transferred = applier.transferred();
  stats.files_deleted = deleted;
  stats.bytes_literal = loop.literal();
  stats.bytes_matched = loop.matched();
  stats.errors = ledger.errors();
  stats.errors_omitted = ledger.errors_omitted();
  ledger.log_omitted();
  if (auto ok = writer.write(static_cast<std::uint8_t>(Msg::report), encode_report(stats)); !ok) return ok.error();
  if (auto ok = writer.flush(); !ok) return ok.error();
  stats.bytes_sent = writer.bytes_written();
  stats.bytes_received = reader.bytes_read();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return stats;
}

}  // namespace choline::sync
