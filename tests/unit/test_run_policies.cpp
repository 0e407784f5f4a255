// The executor's small decisions: what to rent, what a booting host's poll means, when the cost
// limit stops a run, and what resume does.
#include <choline/run/cost_policy.hpp>
#include <choline/run/host_choice.hpp>
#include <choline/run/resume_plan.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::run;

namespace {

records::HostRecord host_of(int node, const std::string& id, const std::string& machine,
                            records::HostState state = records::HostState::ready) {
  records::HostRecord host;
  host.node = node;
  host.host.id = id;
  if (!machine.empty()) host.host.access = {{"machine", machine}};
  host.state = state;
  return host;
}

agent::JobState job(agent::JobStatus status) {
  agent::JobState state;
  state.status = status;
  return state;
}

}  // namespace

TEST_CASE("Host choice: a replacement excludes the machines the run lost and those of its other nodes", "[run]") {
  records::RunRecord record;
  record.id = "r";
  record.options.spec = {"RTX3090", 1, 3};
  record.options.max_price = 0.5;
  record.hosts = {host_of(1, "i-1", "m-7", records::HostState::released), host_of(0, "i-2", "m-8"),
                  host_of(1, "i-3", ""), host_of(2, "i-4", "m-9")};
  record.host_losses.push_back({1, "i-1", "gone", ""});
  const auto request = host_request_for(record, 1);
  CHECK(request.run_id == "r");
  CHECK(request.node == 1);
  CHECK(request.max_price == 0.5);
  CHECK(request.replacement == 2);  // node 1 had two hosts before
  CHECK(request.exclude == std::vector<std::string>{"m-7", "m-8", "m-9"});
  CHECK(machine_of(record, "i-3") == "i-3");  // no machine known: the instance itself
  CHECK(host_request_for(record, 0).replacement == 1);
}

TEST_CASE("Host choice: a host placed on an excluded machine is refused as a capacity error", "[run]") {
  providers::HostRequest request;
  request.exclude = {"m-7"};
  providers::Host host;
  host.id = "pod-1";
  host.access = {{"machine", "m-7"}};
  auto refused = landed_on_excluded(host, request);
  REQUIRE(refused);
  CHECK(refused->kind == ErrorKind::capacity);
  CHECK_THAT(refused->message, Catch::Contains("m-7"));
  host.access = {{"machine", "m-8"}};
  CHECK_FALSE(landed_on_excluded(host, request));
  host.access = nlohmann::json::object();
  CHECK_FALSE(landed_on_excluded(host, request));
}

TEST_CASE("Host choice: a booting host is up, gone, timed out, interrupted, or still booting", "[run]") {
  using providers::HostStatus;
  const auto name = [](const std::optional<Event>& e) -> std::string {
    if (!e) return "wait";
    if (std::holds_alternative<event::Provisioned>(*e)) return "up";
    if (const auto* lost = std::get_if<event::HostLost>(&*e)) return "lost: " + lost->reason;
    if (const auto* failed = std::get_if<event::ProvisionFailed>(&*e)) return "failed: " + failed->error.message;
    return "other";
  };
  CHECK(name(boot_event(0, HostStatus::provisioning, false, false)) == "wait");
  CHECK(name(boot_event(0, HostStatus::ready, true, true)) == "up");  // up beats Ctrl-C and the deadline
  CHECK(name(boot_event(0, HostStatus::gone, false, false)) == "lost: the provider reports it gone");
  CHECK(name(boot_event(0, HostStatus::provisioning, true, false)) == "failed: interrupted");
  CHECK(name(boot_event(0, HostStatus::provisioning, false, true)) == "lost: it did not come up in time");
  CHECK(name(boot_event(0, Error{ErrorKind::network, "503"}, false, false)) == "wait");
  CHECK(std::get<event::Provisioned>(*boot_event(3, HostStatus::ready, false, false)).nodes == std::vector<int>{3});
}

TEST_CASE("Cost policy: a run stops once what it spent plus a stop's worth of its hosts reaches the limit", "[run]") {
  CHECK_FALSE(cost_limit_reached({2.0, 5.0}, std::nullopt));
  // $2/h for the 60 s a stop takes is 3.33 cents.
  CHECK_FALSE(cost_limit_reached({2.0, 9.9}, 10.0));
  CHECK(cost_limit_reached({2.0, 9.97}, 10.0) == 9.97);
  CHECK(cost_limit_reached({0.0, 10.0}, 10.0) == 10.0);
}

TEST_CASE("Resume plan: a succeeded run asks no host, a running job is re-attached, else a new attempt", "[run]") {
  records::RunRecord record;
  record.state = records::RunState::succeeded;
  int probes = 0;
  const auto probe = [&](std::vector<agent::JobState> states) {
    return [&probes, states] {
      ++probes;
      return states;
    };
  };
  CHECK(plan_resume(record, probe({})).kind == ResumeKind::nothing_to_do);
  CHECK(probes == 0);

  record.state = records::RunState::detached;
  record.attempts.push_back({2, "t", "", "", std::nullopt, ""});
  auto reattach = plan_resume(record, probe({job(agent::JobStatus::running), job(agent::JobStatus::succeeded)}));
  CHECK(reattach.kind == ResumeKind::reattach);
  CHECK(probes == 1);

  auto again = plan_resume(record, probe({job(agent::JobStatus::failed), job(agent::JobStatus::succeeded)}));
  CHECK(again.kind == ResumeKind::new_attempt);
  CHECK(again.next_attempt == 3);
  REQUIRE(again.ended_while_detached);
  CHECK(again.ended_while_detached->outcome == AttemptOutcome::failed);
  CHECK(detached_outcome(*again.ended_while_detached) == "failed (while detached)");

  record.attempts.back().ended_at = "t2";  // its end is known: nothing to record
  CHECK_FALSE(plan_resume(record, probe({})).ended_while_detached);
}
