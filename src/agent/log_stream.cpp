#include <choline/agent/log_stream.hpp>

#include <choline/agent/supervisor.hpp>
#include <choline/limits.hpp>
#include <choline/util/json.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <thread>

namespace choline::agent {

namespace {

using nlohmann::json;

// Sends what was appended to each rank's log since its offset. Returns whether anything moved.
Result<bool> send_new_bytes(const AgentLayout& layout, std::map<int, std::uint64_t>& offsets,
                            sync::FrameWriter& writer) {
  // Ranks present on disk join the map at offset 0.
  if (DIR* dir = ::opendir(layout.logs().c_str())) {
    while (const dirent* item = ::readdir(dir)) {
      int rank = -1;
      if (std::sscanf(item->d_name, "rank-%d.log", &rank) == 1 && rank >= 0) offsets.try_emplace(rank, 0);
    }
    ::closedir(dir);
  }
  bool moved = false;
  std::string buffer(sync::k_data_chunk, '\0');
  for (auto& [rank, offset] : offsets) {
    const int fd = ::open(layout.rank_log(rank).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    for (;;) {
      const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(offset));
      if (n <= 0) break;
      sync::Encoder frame;
      frame.u32(static_cast<std::uint32_t>(rank))
          .u64(offset)
          .raw(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      if (auto ok = writer.write(static_cast<std::uint8_t>(LogMsg::log), frame.bytes()); !ok) {
        ::close(fd);
        return ok.error();
      }
      offset += static_cast<std::uint64_t>(n);
      moved = true;
    }
    ::close(fd);
  }
  return moved;
}

// The wait between two looks at a host's logs and state. The supervisor writes state.json by a
// rename into the host root: that rename ends the wait, so a job's end goes to the laptop the
// moment it is written rather than up to a poll later (which a sweep would pay between trials).
// Logs are still sent in batches of one poll. Without inotify the wait is a plain sleep.
class StateWrites {
 public:
  explicit StateWrites(const AgentLayout& layout) : m_fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (m_fd >= 0 && ::inotify_add_watch(m_fd, layout.root.c_str(), IN_MOVED_TO) < 0) {
      ::close(m_fd);
      m_fd = -1;
    }
  }
  ~StateWrites() {
    if (m_fd >= 0) ::close(m_fd);
  }
  StateWrites(const StateWrites&) = delete;
  StateWrites& operator=(const StateWrites&) = delete;

  void wait(std::chrono::milliseconds most) {
    if (m_fd < 0) {
      std::this_thread::sleep_for(most);
      return;
    }
    pollfd watched{m_fd, POLLIN, 0};
    if (::poll(&watched, 1, static_cast<int>(most.count())) <= 0) return;
    // Any rename in the root wakes us (job.json too): which one does not matter, the loop reads
    // the state again either way.
    char events[4096];
    while (::read(m_fd, events, sizeof events) > 0) {
    }
  }

 private:
  int m_fd;
};

// Whether the job reached a final state after the caller's (unfinished) read of it.
bool supervisor_finished_meanwhile(const AgentLayout& layout) {
  auto state = read_state(layout);
  return state && state_is_final(*state);
}

}  // namespace

Status serve_logs(const AgentLayout& layout, std::map<int, std::uint64_t> offsets, bool follow,
                  sync::FrameWriter& writer) {
  auto last_heartbeat = std::chrono::steady_clock::time_point{};
  StateWrites state_writes(layout);
  for (;;) {
    // Read the state before the logs: if it is final, the logs read after it are complete.
    auto state = read_state(layout);
    const bool final = state && state_is_final(*state);
    auto moved = send_new_bytes(layout, offsets, writer);
    if (!moved) return moved.error();
    const auto now = std::chrono::steady_clock::now();
    if (final || !follow || now - last_heartbeat >= k_heartbeat_every) {
      const json snapshot = state ? *state : json{{"status", "unknown"}};
      if (auto ok = writer.write(static_cast<std::uint8_t>(LogMsg::state), util::dump_json(snapshot)); !ok) return ok;
      last_heartbeat = now;
    }
    if (final || !follow) {
      if (auto ok = writer.write(static_cast<std::uint8_t>(LogMsg::end), {}); !ok) return ok;
      return writer.flush();
    }
    // A supervisor that just finished writes its final state and exits: between our read of
    // the state and this check it looks gone. Only a state still unfinished when read again,
    // after the supervisor was seen dead or stopped, means the job's processes are gone.
    if (state && !supervisor_responsive(*state) && !supervisor_finished_meanwhile(layout)) {
      if (auto ok = writer.write(static_cast<std::uint8_t>(LogMsg::gone), {}); !ok) return ok;
      return writer.flush();
    }
    if (auto ok = writer.flush(); !ok) return ok;
    if (!*moved) state_writes.wait(std::chrono::milliseconds(50));
  }
}

Result<JobState> receive_logs(sync::FrameReader& reader, const LogHandlers& handlers) {
  JobState last_state;
  for (;;) {
    auto frame = reader.read();
    if (!frame) return frame.error();
    switch (static_cast<LogMsg>(frame->type)) {
      case LogMsg::log: {
        sync::Decoder in(frame->payload);
        auto rank = in.u32();
        auto offset = in.u64();
        if (!rank || !offset || *rank > 1'000'000) return make_error(ErrorKind::protocol, "bad log frame from host");
        const std::string_view data = std::string_view(frame->payload).substr(12);
        if (auto ok = handlers.on_log(static_cast<int>(*rank), *offset, data); !ok) return ok.error();
        break;
      }
      case LogMsg::state: {
        auto parsed = util::parse_json(frame->payload, limits::k_max_json_depth);
        if (!parsed) return make_error(ErrorKind::protocol, "bad state frame from host: " + parsed.error().message);
        auto state = parse_job_state(*parsed);
        if (!state) return state.error();
        last_state = *state;
        if (handlers.on_state) {
          if (auto ok = handlers.on_state(*state); !ok) return ok.error();
        }
        break;
      }
      case LogMsg::gone:
        return make_error(ErrorKind::remote, k_job_processes_gone);
      case LogMsg::end:
        return last_state;
      default:
        return make_error(ErrorKind::protocol, "unexpected frame from host's log stream");
    }
  }
}

}  // namespace choline::agent
