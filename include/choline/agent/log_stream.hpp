#pragma once
// Streaming a host's worker logs to the laptop. The agent sends each rank's log bytes from the
// offsets the laptop already has, then keeps following; the laptop appends them to its local
// copies, whose sizes are the offsets of the next reconnect. So a reconnect neither loses nor
// repeats a byte. A state frame also goes out every couple of seconds: a heartbeat that tells
// the laptop the host is alive and how the job stands.

#include <choline/agent/job.hpp>
#include <choline/sync/wire.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>

namespace choline::agent {

enum class LogMsg : std::uint8_t { log = 1, state = 2, end = 3 };

inline constexpr auto k_heartbeat_every = std::chrono::seconds(2);

// Agent side: streams logs under `layout` to `writer` from `offsets` (rank -> bytes already
// held by the laptop). With `follow`, returns after the job reached a final state and every
// log was sent; otherwise after one pass.
Status serve_logs(const AgentLayout& layout, std::map<int, std::uint64_t> offsets, bool follow,
                  sync::FrameWriter& writer);

struct LogHandlers {
  // Bytes of `rank`'s log starting at `offset`.
  std::function<Status(int rank, std::uint64_t offset, std::string_view data)> on_log;
  // A state snapshot (also the heartbeat). An error return ends the stream.
  std::function<Status(const nlohmann::json& state)> on_state;
};

// A state object from a host has the shape the supervisor writes: status a string, exit_codes an
// array of integers or nulls, failed_rank an integer or null, attempt and pid integers. Anything
// else is a protocol error, so code reading a state never meets a type it does not expect.
Status validate_agent_state(const nlohmann::json& state);

// Laptop side: reads frames until the agent's end frame. Returns the last state seen.
Result<nlohmann::json> receive_logs(sync::FrameReader& reader, const LogHandlers& handlers);

}  // namespace choline::agent
