#include <choline/run/watch.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace choline::run {

namespace {

// What one host's follower thread has seen, shared with the polling loop.
struct Follower {
  std::optional<agent::JobState> final_state;
  std::optional<Error> gave_up;     // the stream failed and re-opening it failed too
  std::optional<Error> last_error;  // the stream's last failure while it is being re-opened
  util::Clock::TimePoint last_heard;
};

// Follows one host's stream, re-opening it as reconnect_after() allows.
void follow_one(const WatchedHost& watched, logs::LogSink& sink, const WatchSettings& settings, Follower& follower,
                std::mutex& mutex, const std::atomic<bool>& stop_following) {
  HostControl& host = *watched.host;
  util::Clock& clock = *settings.clock;
  for (int tries = 1; !stop_following; ++tries) {
    auto state = host.follow_logs(
        sink, watched.log_base, [&] { return stop_following.load(); },
        [&](const agent::JobState&) {
          std::lock_guard lock(mutex);
          follower.last_heard = clock.now();
        });
    std::unique_lock lock(mutex);
    if (state) {
      follower.final_state = *state;
      return;
    }
    follower.last_error = state.error();
    const auto wait = reconnect_after(state.error(), tries, settings.reconnect_attempts);
    if (!wait) {
      if (state.error().kind != ErrorKind::interrupted) follower.gave_up = state.error();
      return;
    }
    lock.unlock();
    spdlog::warn("{}: log stream lost ({}); reconnecting", host.host().id, state.error().message);
    clock.sleep_for(*wait);
  }
}

}  // namespace

Event watch_hosts(const std::vector<WatchedHost>& hosts, logs::LogSink& sink, const WatchSettings& settings) {
  util::Clock& clock = *settings.clock;
  std::mutex mutex;
  std::vector<Follower> followers(hosts.size());
  for (auto& follower : followers) follower.last_heard = clock.now();
  std::atomic<bool> stop_following{false};
  // A follower that is done has an outcome the loop acts on (most often the attempt's end): it
  // wakes the loop rather than wait for the next poll, which a sweep would pay between trials.
  util::Wakeup follower_done;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    threads.emplace_back([&, i] {
      follow_one(hosts[i], sink, settings, followers[i], mutex, stop_following);
      follower_done.notify();
    });
  }

  std::optional<Event> event;
  auto next_pull = clock.now() + settings.pull_every;
  auto next_check = clock.now() + settings.check_every;
  while (!event) {
    clock.sleep_or_wake(settings.poll_every, follower_done);
    WatchObservation seen;
    seen.host_timeout_s = settings.host_timeout_s;
    if (settings.poll_interrupt) seen.interrupt = settings.poll_interrupt();
    if (!seen.interrupt && settings.poll_stop) seen.stop = settings.poll_stop();
    if (!seen.interrupt && !seen.stop && settings.cost_limit_reached) seen.over_budget = settings.cost_limit_reached();
    {
      std::lock_guard lock(mutex);
      for (std::size_t i = 0; i < followers.size(); ++i) {
        const Follower& f = followers[i];
        seen.followers.push_back(
            {hosts[i].node, f.final_state, f.gave_up, f.last_error, util::seconds_between(f.last_heard, clock.now())});
      }
    }
    if ((event = next_watch_event(seen))) break;
    // Outside the lock: followers keep recording heartbeats while a pull takes its time.
    if (clock.now() >= next_pull && settings.pull_checkpoints) {
      settings.pull_checkpoints();
      next_pull = clock.now() + settings.pull_every;
    }
    if (clock.now() >= next_check && settings.dead_host) {
      seen.provider_gone = settings.dead_host();
      next_check = clock.now() + settings.check_every;
      event = next_watch_event(seen);
    }
  }
  stop_following = true;
  for (auto& thread : threads) thread.join();
  sink.flush_partial_lines();
  return *event;
}

}  // namespace choline::run
