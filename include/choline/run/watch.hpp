#pragma once
// Following a running attempt on every host at once: log streams into one logs::LogSink, heartbeats
// timed, checkpoints pulled now and then, Ctrl-C polled. Returns the first thing the lifecycle
// must hear about, as an event; deciding what it means is not done here.

#include <choline/run/host_session.hpp>
#include <choline/run/lifecycle.hpp>
#include <choline/util/clock.hpp>

#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace choline::run {

struct WatchedHost {
  int node = 0;
  HostControl* host = nullptr;
  std::map<int, std::uint64_t> log_base;  // see records::HostRecord::log_base
};

struct WatchSettings {
  util::Clock* clock = &util::system_clock();
  std::chrono::milliseconds poll_every{100};
  util::Clock::Duration pull_every = std::chrono::seconds(10);
  int reconnect_attempts = 5;
  // Silence (no state frame) after which HeartbeatMissed is reported.
  int host_timeout_s = 10;
  std::function<std::optional<bool>()> poll_interrupt;  // see Seams::poll_interrupt
  std::function<void()> pull_checkpoints;
  // Polled with poll_interrupt: the money spent when the run must stop for its cost limit.
  std::function<std::optional<double>()> cost_limit_reached;
  // Asked every `check_every`: the node of a host its provider reports dead, if any.
  std::function<std::optional<int>()> dead_host;
  util::Clock::Duration check_every = std::chrono::seconds(5);
};

// Returns AttemptEnded (every host's job reached a final state), HostLost (a host's stream
// failed and could not be re-opened), HeartbeatMissed, or Interrupted.
Event watch_hosts(const std::vector<WatchedHost>& hosts, logs::LogSink& sink, const WatchSettings& settings);

}  // namespace choline::run
