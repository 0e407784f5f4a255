// The sweep's decisions on fixed sequences: what a free slot starts, requeueing a lost trial,
// dropping a host on which trials keep failing for reasons not their own, giving up on a script
// that fails everywhere, and the sweep's money.
#include <choline/sweep/sweep_policy.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::sweep;
using records::TrialStatus;

namespace {

records::SweepRecord sweep_of(int max_trials, std::vector<TrialStatus> states) {
  records::SweepRecord sweep;
  sweep.id = "sweep-x";
  sweep.max_trials = max_trials;
  int id = 1;
  for (auto state : states) {
    records::TrialRecord trial;
    trial.id = id++;
    trial.state = state;
    trial.tries = 1;
    sweep.trials.push_back(trial);
  }
  return sweep;
}

}  // namespace

TEST_CASE("A free slot starts queued trials first, then new ones up to the cap, then waits for running ones",
          "[sweep][policy]") {
  auto sweep = sweep_of(4, {TrialStatus::finished, TrialStatus::queued, TrialStatus::running});
  auto step = next_step(sweep, false, 0);
  CHECK(step.kind == NextStep::Kind::start_queued);
  CHECK(step.trial_id == 2);
  sweep.trial(2)->state = TrialStatus::running;
  CHECK(next_step(sweep, false, 0).kind == NextStep::Kind::ask_new);
  // The cap reached (or the grid exhausted): wait while a trial runs, since a lost one comes back.
  CHECK(next_step(sweep, true, 0).kind == NextStep::Kind::wait);
  sweep.trials.push_back(sweep.trials.back());
  sweep.trials.back().id = 4;
  CHECK(next_step(sweep, false, 0).kind == NextStep::Kind::wait);
  for (auto& t : sweep.trials) t.state = TrialStatus::finished;
  auto done = next_step(sweep, false, 0);
  CHECK(done.kind == NextStep::Kind::done);
  CHECK(done.why == "all 4 trials ran");
}

TEST_CASE("The sweep's cost limit starts nothing more, not even a queued trial", "[sweep][policy]") {
  auto sweep = sweep_of(10, {TrialStatus::queued});
  sweep.max_cost = 2.0;
  CHECK(next_step(sweep, false, 1.99).kind == NextStep::Kind::start_queued);
  CHECK_FALSE(over_budget(sweep, 1.99));
  CHECK(over_budget(sweep, 2.0));
  auto step = next_step(sweep, false, 2.5);
  CHECK(step.kind == NextStep::Kind::done);
  CHECK(step.why == "cost limit reached ($2.50 of $2.00 spent)");
  sweep.state = records::SweepState::stopped;
  CHECK(next_step(sweep, false, 0).kind == NextStep::Kind::done);
}

TEST_CASE("A lost trial is queued again until it used its tries", "[sweep][policy]") {
  auto sweep = sweep_of(4, {TrialStatus::running});
  HostTrack track;
  auto decision = on_trial_end(sweep, track, {1, "h0", RunEnd::lost, -1, "no heartbeat for 60 s"});
  CHECK(decision.state == TrialStatus::queued);
  CHECK(decision.why == "lost (no heartbeat for 60 s); queued again");
  CHECK_FALSE(decision.drop_host);
  sweep.trial(1)->tries = k_max_trial_tries;
  decision = on_trial_end(sweep, track, {1, "h1", RunEnd::lost, -1, "gone"});
  CHECK(decision.state == TrialStatus::failed);
  CHECK(decision.why == "lost 3 times; last: gone");
}

TEST_CASE("Two trials in a row failing on one host while others succeed elsewhere drop the host and requeue both",
          "[sweep][policy]") {
  auto sweep = sweep_of(8, {TrialStatus::running, TrialStatus::running, TrialStatus::running, TrialStatus::running});
  HostTrack track;
  CHECK(on_trial_end(sweep, track, {1, "good", RunEnd::finished, -1, ""}).state == TrialStatus::finished);
  auto first = on_trial_end(sweep, track, {2, "bad", RunEnd::failed, -1, "rank 0 exited 1"});
  CHECK(first.state == TrialStatus::failed);
  CHECK_FALSE(first.drop_host);
  auto second = on_trial_end(sweep, track, {3, "bad", RunEnd::failed, -1, "rank 0 exited 1"});
  REQUIRE(second.drop_host);
  CHECK(*second.drop_host == "bad");
  CHECK(second.drop_why == "2 trials in a row failed on it while they run elsewhere");
  CHECK(second.state == TrialStatus::queued);
  CHECK(second.requeue == std::vector<int>{2});
  CHECK_FALSE(second.give_up);
}

TEST_CASE("A failure that follows its trial to another host does not count against the host", "[sweep][policy]") {
  auto sweep = sweep_of(8, {TrialStatus::running, TrialStatus::running, TrialStatus::running});
  HostTrack track;
  (void)on_trial_end(sweep, track, {1, "a", RunEnd::finished, -1, ""});
  (void)on_trial_end(sweep, track, {2, "b", RunEnd::failed, -1, "exited 1"});
  // Trial 2 requeued after a drop fails again on host c: its own fault (a diverging lr).
  sweep.trial(2)->tries = 2;
  auto again = on_trial_end(sweep, track, {2, "c", RunEnd::failed, -1, "exited 1"});
  CHECK(again.state == TrialStatus::failed);
  auto next = on_trial_end(sweep, track, {3, "c", RunEnd::failed, -1, "exited 1"});
  CHECK_FALSE(next.drop_host);  // one failure of c's own, not two
}

TEST_CASE("Trials failing in a row with none succeeding give the sweep up", "[sweep][policy]") {
  auto sweep = sweep_of(12, {TrialStatus::running, TrialStatus::running, TrialStatus::running});
  HostTrack track;
  CHECK_FALSE(on_trial_end(sweep, track, {1, "a", RunEnd::failed, -1, ""}).give_up);
  CHECK_FALSE(on_trial_end(sweep, track, {2, "b", RunEnd::failed, -1, ""}).give_up);
  auto third = on_trial_end(sweep, track, {3, "a", RunEnd::failed, -1, ""});
  REQUIRE(third.give_up);
  CHECK(third.give_up->find("choline logs sweep-x/3") != std::string::npos);
  CHECK_FALSE(third.drop_host);  // nothing ran anywhere: the script, not the host
}

TEST_CASE("Stopped early, interrupted and out-of-money trials end as the sweep needs them", "[sweep][policy]") {
  auto sweep = sweep_of(4, {TrialStatus::running, TrialStatus::running, TrialStatus::running});
  HostTrack track;
  auto stopped = on_trial_end(sweep, track, {1, "a", RunEnd::stopped, 1, "rung 1: worse than cutoff"});
  CHECK(stopped.state == TrialStatus::stopped);
  CHECK(on_trial_end(sweep, track, {2, "a", RunEnd::interrupted, -1, "Ctrl-C"}).state == TrialStatus::queued);
  CHECK(on_trial_end(sweep, track, {3, "a", RunEnd::out_of_money, -1, ""}).state == TrialStatus::stopped);
}

TEST_CASE("A trial replaced by population-based training is queued again and counts as a success",
          "[sweep][policy][pbt]") {
  auto sweep = sweep_of(4, {TrialStatus::running, TrialStatus::running, TrialStatus::running});
  HostTrack track;
  track.failures_in_a_row = 2;
  auto replaced = on_trial_end(sweep, track, {2, "a", RunEnd::exploited, -1, "in the bottom 1 of 3"});
  CHECK(replaced.state == TrialStatus::queued);
  CHECK(replaced.why == "in the bottom 1 of 3");
  CHECK_FALSE(replaced.drop_host);
  CHECK(track.failures_in_a_row == 0);
  CHECK(track.any_succeeded);
  // The next free slot takes it before asking for a new trial.
  sweep.trial(2)->state = replaced.state;
  const auto step = next_step(sweep, false, 0);
  CHECK(step.kind == NextStep::Kind::start_queued);
  CHECK(step.trial_id == 2);
}

TEST_CASE("A trial at the resource where a finished trial ended is at its end, not stopped there", "[sweep][policy]") {
  auto sweep = sweep_of(4, {TrialStatus::stopped, TrialStatus::running, TrialStatus::running});
  sweep.trials[0].resource = 9;  // stopped there: says nothing about where trials end
  CHECK_FALSE(at_trials_end(sweep, 9));
  sweep.trials[1].state = TrialStatus::finished;
  sweep.trials[1].resource = 9;
  CHECK(at_trials_end(sweep, 9));
  CHECK(at_trials_end(sweep, 10));
  CHECK_FALSE(at_trials_end(sweep, 8));
  CHECK_FALSE(at_trials_end(sweep, 0));
}

TEST_CASE("How a trial's run ended: what the sweep asked counts only if the run did stop", "[sweep][policy]") {
  records::RunRecord run;
  records::HostRecord host;
  host.host.id = "h1";
  run.hosts.push_back(host);
  records::AttemptRecord attempt;
  attempt.exit_code = 0;
  run.attempts.push_back(attempt);
  run.state = records::RunState::succeeded;
  TrialAsks asks;
  asks.stop = "rung 1: below the cutoff";
  asks.rung = 1;
  // It finished before the stop reached it.
  auto end = trial_end_of(3, run, std::nullopt, asks);
  CHECK(end.how == RunEnd::finished);
  CHECK(end.host == "h1");
  CHECK(end.trial_id == 3);
  run.state = records::RunState::stopped;
  end = trial_end_of(3, run, std::nullopt, asks);
  CHECK(end.how == RunEnd::stopped);
  CHECK(end.rung == 1);
  CHECK(end.why == "rung 1: below the cutoff");
  // Replaced by PBT (which stops it the same way), unless the sweep is stopping meanwhile.
  asks.replace = "in the bottom 1 of 4";
  CHECK(trial_end_of(3, run, std::nullopt, asks).how == RunEnd::exploited);
  asks.sweep_stopping = true;
  CHECK(trial_end_of(3, run, std::nullopt, asks).how == RunEnd::interrupted);
  // The sweep stopping a running trial, and the money running out.
  TrialAsks stopping;
  stopping.sweep_stopping = true;
  run.state = records::RunState::running;
  CHECK(trial_end_of(3, run, std::nullopt, stopping).how == RunEnd::interrupted);
  TrialAsks broke;
  broke.out_of_money = true;
  run.state = records::RunState::stopped;
  CHECK(trial_end_of(3, run, std::nullopt, broke).how == RunEnd::out_of_money);
}

TEST_CASE("A trial's run that could not run, or lost its host, is lost, and a worker's exit code is a failure",
          "[sweep][policy]") {
  records::RunRecord run;
  run.state = records::RunState::failed;
  auto end = trial_end_of(1, run, std::string("no offer"), {});
  CHECK(end.how == RunEnd::lost);
  CHECK(end.why == "no offer");
  CHECK(end.host.empty());
  CHECK(trial_end_of(1, run, std::nullopt, {}).why == "it could not start");
  records::AttemptRecord attempt;
  attempt.outcome = "rank 0 exited 1";
  run.attempts.push_back(attempt);
  records::HostLoss loss;
  loss.reason = "heartbeats stopped";
  run.host_losses.push_back(loss);
  end = trial_end_of(1, run, std::nullopt, {});
  CHECK(end.how == RunEnd::lost);
  CHECK(end.why == "heartbeats stopped");
  run.attempts.back().exit_code = 1;
  end = trial_end_of(1, run, std::nullopt, {});
  CHECK(end.how == RunEnd::failed);
  CHECK(end.why == "rank 0 exited 1");
}
