#pragma once
// Streaming a host's worker logs to the laptop. The agent sends each rank's log bytes from the
// offsets the laptop already has, then keeps following; the laptop appends them to its local
// copies, whose sizes are the offsets of the next reconnect. So a reconnect neither loses nor
// repeats a byte. A state frame also goes out every couple of seconds: a heartbeat that tells
// the laptop the host is alive and how the job stands.

#include <choline/agent/job.hpp>
#include <choline/agent/job_state.hpp>
#include <choline/sync/wire.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>

namespace choline::agent {

// `gone`: the job's supervisor died or was stopped (SIGSTOP) while its state says it runs; the
// stream ends there. Heartbeats (state frames) prove the job's processes alive, not the reader.
enum class LogMsg : std::uint8_t { log = 1, state = 2, end = 3, gone = 4 };

inline constexpr auto k_heartbeat_every = std::chrono::seconds(2);

// Agent side: streams logs under `layout` to `writer` from `offsets` (rank -> bytes already
// held by the laptop). With `follow`, returns after the job reached a final state and every
// log was sent; otherwise after one pass.
Status serve_logs(const AgentLayout& layout, std::map<int, std::uint64_t> offsets, bool follow,
                  sync::FrameWriter& writer);

struct LogHandlers {
  // Bytes of `rank`'s log starting at `offset`.
  std::function<Status(int rank, std::uint64_t offset, std::string_view data)> on_log;
  // A state snapshot (also the heartbeat), already validated. An error return ends the stream.
  std::function<Status(const JobState& state)> on_state;
};

// What receive_logs returns (kind remote) when the host reports its job's processes gone.
inline constexpr const char* k_job_processes_gone = "the job's processes on the host are gone or stopped";

// Laptop side: reads frames until the agent's end frame. Returns the last state seen.
Result<JobState> receive_logs(sync::FrameReader& reader, const LogHandlers& handlers);

}  // namespace choline::agent
