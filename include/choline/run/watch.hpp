#pragma once
// Following a running attempt on every host at once: log streams into one LogSink, heartbeats
// timed, checkpoints pulled now and then, Ctrl-C and outside stops polled. What the observations
// mean, and which wins, is watch_policy.hpp's to say; this file only observes.

#include <choline/logs/log_sink.hpp>
#include <choline/run/host_session.hpp>
#include <choline/run/lifecycle.hpp>
#include <choline/run/watch_policy.hpp>
#include <choline/util/clock.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace choline::run {

struct WatchedHost {
  int node = 0;
  HostControl* host = nullptr;
  std::map<int, std::uint64_t> log_base;  // see HostRecord::log_base
};

struct WatchSettings {
  util::Clock* clock = &util::system_clock();
  std::chrono::milliseconds poll_every{100};
  util::Clock::Duration pull_every = std::chrono::seconds(10);
  int reconnect_attempts = k_log_reconnect_attempts;
  int host_timeout_s = 10;                                // see WatchObservation::host_timeout_s
  std::function<std::optional<bool>()> poll_interrupt;    // see Seams::poll_interrupt
  std::function<std::optional<std::string>()> poll_stop;  // see Seams::poll_stop
  std::function<void()> pull_checkpoints;
  // Polled with poll_interrupt: the money spent when the run must stop for its cost limit.
  std::function<std::optional<double>()> cost_limit_reached;
  // Asked every `check_every`: the node of a host its provider reports dead, if any.
  std::function<std::optional<int>()> dead_host;
  util::Clock::Duration check_every = std::chrono::seconds(5);
};

// Watches until next_watch_event() has an event for what was observed, and returns it.
Event watch_hosts(const std::vector<WatchedHost>& hosts, logs::LogSink& sink, const WatchSettings& settings);

}  // namespace choline::run
