#pragma once
// What watch.cpp's observations mean, pure: which event ends the watch (and which wins when
// several things happened at once), and how a broken log stream is re-opened.

#include <choline/agent/job_state.hpp>
#include <choline/error.hpp>
#include <choline/run/lifecycle.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace choline::run {

// What the watch saw of one host's log stream.
struct FollowerView {
  int node = 0;
  std::optional<agent::JobState> final_state;  // the job ended on the host
  std::optional<Error> gave_up;                // the stream broke and could not be re-opened
  std::optional<Error> last_error;             // the stream's last failure while it is re-opened
  double silent_s = 0;                         // since the host last proved alive (a state frame)
};

// One look at everything the watch follows.
struct WatchObservation {
  std::optional<bool> interrupt;      // the user's answer to Ctrl-C (true: stop, false: detach)
  std::optional<std::string> stop;    // a stop asked from outside the run (a sweep's early stop)
  std::optional<double> over_budget;  // the money spent, once the cost limit is reached
  std::vector<FollowerView> followers;
  std::optional<int> provider_gone;  // a node whose host the provider reports gone
  int host_timeout_s = 10;           // silence after which a host counts as lost
};

// The event the watch ends with, or nullopt to keep watching. What the user asked wins (Ctrl-C,
// then a stop from outside), then money (the cost limit), then hosts in node order (a broken
// stream, then silence of host_timeout_s or more), then the attempt's end once every host's job
// ended, and last a host the provider reports gone.
std::optional<Event> next_watch_event(const WatchObservation& observed);

// Re-opening a broken log stream: tries in all, and the wait before the next one.
inline constexpr int k_log_reconnect_attempts = 5;

// The wait before re-opening a stream that failed with `error` after `tries` tries (1, 2, 4, 8 s),
// or nullopt when re-opening cannot help: the watch itself stopped it, the host says the job's
// processes are gone, or the tries are used up.
std::optional<std::chrono::seconds> reconnect_after(const Error& error, int tries,
                                                    int max_tries = k_log_reconnect_attempts);

}  // namespace choline::run
