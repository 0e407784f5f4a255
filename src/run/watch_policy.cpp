#include <choline/run/watch_policy.hpp>

#include <algorithm>

namespace choline::run {

std::optional<Event> next_watch_event(const WatchObservation& observed) {
  if (observed.interrupt) return event::Interrupted{*observed.interrupt};
  if (observed.stop) return event::StopRequested{*observed.stop};
  if (observed.over_budget) return event::CostLimitReached{*observed.over_budget};
  std::size_t ended = 0;
  for (const auto& follower : observed.followers) {
    if (follower.gave_up) return event::HostLost{follower.node, follower.gave_up->message};
    if (follower.final_state) {
      ++ended;
    } else if (follower.silent_s >= observed.host_timeout_s) {
      return event::HeartbeatMissed{follower.node, follower.silent_s,
                                    follower.last_error ? follower.last_error->message : ""};
    }
  }
  if (!observed.followers.empty() && ended == observed.followers.size()) {
    std::vector<agent::JobState> states;
    for (const auto& follower : observed.followers) states.push_back(*follower.final_state);
    return event::AttemptEnded{combine_attempt(states)};
  }
  if (observed.provider_gone) return event::HostLost{*observed.provider_gone, "the provider reports it gone"};
  return std::nullopt;
}

std::optional<std::chrono::seconds> reconnect_after(const Error& error, int tries, int max_tries) {
  if (error.kind == ErrorKind::interrupted || error.kind == ErrorKind::remote) return std::nullopt;
  if (tries >= max_tries) return std::nullopt;
  return std::chrono::seconds(1 << std::min(std::max(tries - 1, 0), 3));
}

}  // namespace choline::run
