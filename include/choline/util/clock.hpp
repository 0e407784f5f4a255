#pragma once

#include <chrono>
#include <string>

namespace choline::util {

// UTC wall-clock time as "2026-11-23T15:25:01.123Z", for records and logs.
std::string now_iso8601();

// Wall-clock seconds since the Unix epoch (what journaled times are compared with).
double epoch_seconds();

// Monotonic time and waiting, behind an interface so that code which waits (reconnect backoff,
// heartbeat timeouts, poll loops) can be driven by a fake clock in tests.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  virtual TimePoint now() = 0;
  virtual void sleep_for(Duration duration) = 0;
};

// The real steady clock.
Clock& system_clock();

// Seconds between two time points, as a double.
inline double seconds_between(Clock::TimePoint from, Clock::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace choline::util
