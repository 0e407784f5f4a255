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

}  // namespace

Event watch_hosts(const std::vector<WatchedHost>& hosts, LogSink& sink, const WatchSettings& settings) {
  util::Clock& clock = *settings.clock;
  std::mutex mutex;
  std::vector<Follower> followers(hosts.size());
  for (auto& follower : followers) follower.last_heard = clock.now();
  std::atomic<bool> stop_following{false};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    threads.emplace_back([&, i] {
      HostControl& host = *hosts[i].host;
      std::optional<Error> last_error;
      for (int tries = 0; tries < settings.reconnect_attempts && !stop_following; ++tries) {
        auto state = host.follow_logs(
            sink, hosts[i].log_base, [&] { return stop_following.load(); },
            [&](const agent::JobState&) {
              std::lock_guard lock(mutex);
              followers[i].last_heard = clock.now();
            });
        if (state) {
          std::lock_guard lock(mutex);
          followers[i].final_state = *state;
          last_error.reset();
          break;
        }
        last_error = state.error();
        if (state.error().kind == ErrorKind::interrupted) break;
        // The host itself reports its job's processes gone: re-opening the stream cannot help.
        if (state.error().kind == ErrorKind::remote) break;
        {
          std::lock_guard lock(mutex);
          followers[i].last_error = last_error;
        }
        spdlog::warn("{}: log stream lost ({}); reconnecting", host.host().id, state.error().message);
        clock.sleep_for(std::chrono::seconds(1 << std::min(tries, 3)));
      }
      std::lock_guard lock(mutex);
      if (last_error && last_error->kind != ErrorKind::interrupted) followers[i].gave_up = last_error;
    });
  }

  std::optional<Event> event;
  auto next_pull = clock.now() + settings.pull_every;
  auto next_check = clock.now() + settings.check_every;
  while (!event) {
    clock.sleep_for(settings.poll_every);
    if (settings.poll_interrupt) {
      if (auto stop = settings.poll_interrupt()) {
        event = event::Interrupted{*stop};
        break;
      }
    }
    if (settings.cost_limit_reached) {
      if (auto spent = settings.cost_limit_reached()) {
        event = event::CostLimitReached{*spent};
        break;
      }
    }
    {
      std::lock_guard lock(mutex);
      std::size_t ended = 0;
      for (std::size_t i = 0; i < followers.size() && !event; ++i) {
        const Follower& follower = followers[i];
        if (follower.gave_up) {
          event = event::HostLost{hosts[i].node, follower.gave_up->message};
        } else if (follower.final_state) {
          ++ended;
        } else if (const double silent = util::seconds_between(follower.last_heard, clock.now());
                   silent >= settings.host_timeout_s) {
          event = event::HeartbeatMissed{hosts[i].node, silent, follower.last_error ? follower.last_error->message : ""};
        }
      }
      if (!event && ended == followers.size()) {
        std::vector<agent::JobState> states;
        for (const auto& follower : followers) states.push_back(*follower.final_state);
        event = event::AttemptEnded{combine_attempt(states)};
      }
    }
    // Outside the lock: followers keep recording heartbeats while a pull takes its time.
    if (!event && clock.now() >= next_pull && settings.pull_checkpoints) {
      settings.pull_checkpoints();
      next_pull = clock.now() + settings.pull_every;
    }
    if (!event && clock.now() >= next_check && settings.dead_host) {
      if (auto node = settings.dead_host()) event = event::HostLost{*node, "the provider reports it gone"};
      next_check = clock.now() + settings.check_every;
    }
  }
  stop_following = true;
  for (auto& thread : threads) thread.join();
  sink.flush_partial_lines();
  return *event;
}

}  // namespace choline::run
