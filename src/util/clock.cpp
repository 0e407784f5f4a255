#include <choline/util/clock.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

namespace choline::util {

std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buffer, static_cast<int>(ms));
  return out;
}

double epoch_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace choline::util

namespace choline::util {

namespace {

class SystemClock final : public Clock {
 public:
  TimePoint now() override { return std::chrono::steady_clock::now(); }
  void sleep_for(Duration duration) override { std::this_thread::sleep_for(duration); }
  void sleep_or_wake(Duration duration, Wakeup& wakeup) override { wakeup.wait_for(duration); }
};

}  // namespace

void Wakeup::notify() {
  {
    std::lock_guard lock(m_mutex);
    m_notified = true;
  }
  m_woken.notify_all();
}

void Wakeup::wait_for(std::chrono::steady_clock::duration duration) {
  std::unique_lock lock(m_mutex);
  m_woken.wait_for(lock, duration, [this] { return m_notified; });
  m_notified = false;
}

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

}  // namespace choline::util
