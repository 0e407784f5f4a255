// What the watch's observations mean: which event wins, and how a stream is re-opened.
#include <choline/run/watch_policy.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::run;

namespace {

agent::JobState ended(agent::JobStatus status) {
  agent::JobState state;
  state.status = status;
  return state;
}

FollowerView quiet(int node, double silent = 1) {
  return {node, std::nullopt, std::nullopt, std::nullopt, silent};
}

std::string kind(const std::optional<Event>& event) {
  if (!event) return "none";
  return std::visit(
      [](const auto& e) -> std::string {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, event::Interrupted>)
          return e.stop ? "Interrupted(stop)" : "Interrupted(detach)";
        if constexpr (std::is_same_v<T, event::StopRequested>) return "StopRequested(" + e.why + ")";
        if constexpr (std::is_same_v<T, event::CostLimitReached>) return "CostLimitReached";
        if constexpr (std::is_same_v<T, event::HostLost>) return "HostLost(" + std::to_string(e.node) + ")";
        if constexpr (std::is_same_v<T, event::HeartbeatMissed>)
          return "HeartbeatMissed(" + std::to_string(e.node) + ")";
        if constexpr (std::is_same_v<T, event::AttemptEnded>) return "AttemptEnded(" + e.result.description + ")";
        return "other";
      },
      *event);
}

}  // namespace

TEST_CASE("Watch: nothing to report while every host streams and talks", "[run][watch]") {
  WatchObservation seen;
  seen.followers = {quiet(0), quiet(1)};
  CHECK(kind(next_watch_event(seen)) == "none");
}

TEST_CASE("Watch: the user's Ctrl-C wins over everything, then an outside stop, then the cost limit", "[run][watch]") {
  WatchObservation seen;
  seen.followers = {{0, std::nullopt, Error{ErrorKind::network, "reset"}, std::nullopt, 50}};
  seen.provider_gone = 0;
  seen.over_budget = 12.5;
  seen.stop = "pruned";
  seen.interrupt = true;
  CHECK(kind(next_watch_event(seen)) == "Interrupted(stop)");
  seen.interrupt.reset();
  CHECK(kind(next_watch_event(seen)) == "StopRequested(pruned)");
  seen.stop.reset();
  CHECK(kind(next_watch_event(seen)) == "CostLimitReached");
  seen.over_budget.reset();
  CHECK(kind(next_watch_event(seen)) == "HostLost(0)");
}

TEST_CASE("Watch: silence below host_timeout waits, at it the host is missed, and a broken stream is lost first",
          "[run][watch]") {
  WatchObservation seen;
  seen.host_timeout_s = 10;
  seen.followers = {quiet(0, 9.5), quiet(1, 2)};
  CHECK(kind(next_watch_event(seen)) == "none");
  seen.followers[0].silent_s = 10;
  CHECK(kind(next_watch_event(seen)) == "HeartbeatMissed(0)");
  seen.followers[1].gave_up = Error{ErrorKind::network, "reset"};
  CHECK(kind(next_watch_event(seen)) == "HeartbeatMissed(0)");  // hosts in node order
  seen.followers[0].silent_s = 1;
  CHECK(kind(next_watch_event(seen)) == "HostLost(1)");
}

TEST_CASE("Watch: the attempt ends once every host's job ended, combined with gang semantics", "[run][watch]") {
  WatchObservation seen;
  seen.followers = {quiet(0), quiet(1)};
  seen.followers[0].final_state = ended(agent::JobStatus::succeeded);
  CHECK(kind(next_watch_event(seen)) == "none");
  // A host whose job ended is not missed, however long it has been quiet.
  seen.followers[0].silent_s = 99;
  seen.followers[1].final_state = ended(agent::JobStatus::stopped);
  CHECK(kind(next_watch_event(seen)) == "AttemptEnded(stopped)");
}

TEST_CASE("Watch: a host the provider reports gone is reported last", "[run][watch]") {
  WatchObservation seen;
  seen.followers = {quiet(0), quiet(1)};
  seen.provider_gone = 1;
  CHECK(kind(next_watch_event(seen)) == "HostLost(1)");
  seen.followers[0].final_state = ended(agent::JobStatus::succeeded);
  seen.followers[1].final_state = ended(agent::JobStatus::succeeded);
  CHECK(kind(next_watch_event(seen)) == "AttemptEnded(succeeded)");
}

TEST_CASE("Reconnecting a log stream: 1, 2, 4, 8 s, never for a stop or a job the host says is gone", "[run][watch]") {
  const Error reset{ErrorKind::network, "reset"};
  CHECK(reconnect_after(reset, 1) == std::chrono::seconds(1));
  CHECK(reconnect_after(reset, 2) == std::chrono::seconds(2));
  CHECK(reconnect_after(reset, 3) == std::chrono::seconds(4));
  CHECK(reconnect_after(reset, 4) == std::chrono::seconds(8));
  CHECK(reconnect_after(reset, k_log_reconnect_attempts) == std::nullopt);
  CHECK(reconnect_after({ErrorKind::interrupted, "stopped following"}, 1) == std::nullopt);
  CHECK(reconnect_after({ErrorKind::remote, "job processes gone"}, 1) == std::nullopt);
}
