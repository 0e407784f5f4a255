#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace choline::util {

// UTC wall-clock time as "2026-11-23T15:25:01.123Z", for records and logs.
std::string now_iso8601();

// Wall-clock seconds since the Unix epoch (what journaled times are compared with).
double epoch_seconds();

// Ends a poll loop's sleep early (Clock::sleep_or_wake): another thread that learned what the
// loop polls for says so at once, instead of leaving it to be found at the next poll. A notice
// given while the loop is not asleep ends its next sleep at once.
class Wakeup {
 public:
  void notify();
  // Waits until notified (since the last wait returned) or `duration` passed.
  void wait_for(std::chrono::steady_clock::duration duration);

 private:
  std::mutex m_mutex;
  std::condition_variable m_woken;
  bool m_notified = false;
};

// Monotonic time and waiting, behind an interface so that code which waits (reconnect backoff,
// heartbeat timeouts, poll loops) can be driven by a fake clock in tests.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  virtual TimePoint now() = 0;
  virtual void sleep_for(Duration duration) = 0;
  // Sleeps as sleep_for does, but the real clock returns as soon as `wakeup` is notified. A fake
  // clock's sleeps are virtual and short: it may ignore the wake-up (the default).
  virtual void sleep_or_wake(Duration duration, Wakeup& wakeup) {
    (void)wakeup;
    sleep_for(duration);
  }
};

// The real steady clock.
Clock& system_clock();

// Seconds between two time points, as a double.
inline double seconds_between(Clock::TimePoint from, Clock::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace choline::util
