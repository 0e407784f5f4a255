// The sweep's decisions (sweep_policy.hpp): pure, over the journal and what ran where.
#include <choline/sweep/sweep_policy.hpp>

#include <algorithm>
#include <cstdio>

namespace choline::sweep {

namespace {

using records::TrialStatus;

bool failed_elsewhere(const HostTrack& track, int trial_id, const std::string& host) {
  for (const auto& [id, runs] : track.runs) {
    if (id == host) continue;
    for (const auto& run : runs) {
      if (run.trial_id == trial_id && run.failed) return true;
    }
  }
  return false;
}

std::string money(double usd) {
  char text[32];
  std::snprintf(text, sizeof text, "$%.2f", usd);
  return text;
}

}  // namespace

const char* to_string(RunEnd end) {
  switch (end) {
    case RunEnd::finished:
      return "finished";
    case RunEnd::stopped:
      return "stopped";
    case RunEnd::interrupted:
      return "interrupted";
    case RunEnd::out_of_money:
      return "out of money";
    case RunEnd::failed:
      return "failed";
    case RunEnd::lost:
      return "lost";
    case RunEnd::exploited:
      return "exploited";
  }
  return "failed";
}

TrialEnd trial_end_of(int trial_id, const records::RunRecord& run, const std::optional<std::string>& error,
                      const TrialAsks& asks) {
  TrialEnd end;
  end.trial_id = trial_id;
  if (!run.hosts.empty()) end.host = run.hosts.back().host.id;
  const bool stopped = run.state == records::RunState::stopped;
  if (asks.replace && stopped) {
    // Stopped to be replaced; if the sweep is stopping meanwhile, it goes on unchanged on resume.
    end.how = asks.sweep_stopping ? RunEnd::interrupted : RunEnd::exploited;
    end.why = asks.sweep_stopping ? "the sweep was stopped" : *asks.replace;
  } else if (asks.stop && stopped) {
    end.how = RunEnd::stopped;
    end.why = *asks.stop;
    end.rung = asks.rung;
  } else if (asks.out_of_money && stopped) {
    end.how = RunEnd::out_of_money;
    end.why = "the sweep's cost limit";
  } else if (asks.sweep_stopping && (stopped || !records::is_final(run.state))) {
    end.how = RunEnd::interrupted;
    end.why = "the sweep was stopped";
  } else if (run.state == records::RunState::succeeded) {
    end.how = RunEnd::finished;
  } else if (error || run.attempts.empty() || (!run.host_losses.empty() && !run.attempts.back().exit_code)) {
    // It never ran, or it ended with its host gone (not with a worker's exit code).
    end.how = RunEnd::lost;
    end.why = error ? *error : !run.host_losses.empty() ? run.host_losses.back().reason : "it could not start";
  } else {
    end.how = RunEnd::failed;
    end.why = run.attempts.back().outcome;
  }
  return end;
}

bool at_trials_end(const records::SweepRecord& sweep, std::int64_t resource) {
  return resource > 0 && std::any_of(sweep.trials.begin(), sweep.trials.end(), [&](const records::TrialRecord& t) {
           return t.state == TrialStatus::finished && t.resource > 0 && resource >= t.resource;
         });
}

bool over_budget(const records::SweepRecord& sweep, double spent) {
  return sweep.max_cost && spent >= *sweep.max_cost;
}

NextStep next_step(const records::SweepRecord& sweep, bool searcher_exhausted, double spent) {
  if (sweep.state != records::SweepState::running) return {NextStep::Kind::done, 0, sweep.reason};
  if (over_budget(sweep, spent)) {
    return {NextStep::Kind::done, 0,
            "cost limit reached (" + money(spent) + " of " + money(*sweep.max_cost) + " spent)"};
  }
  std::optional<int> queued;
  bool running = false;
  for (const auto& trial : sweep.trials) {
    if (trial.state == TrialStatus::queued && (!queued || trial.id < *queued)) queued = trial.id;
    running = running || trial.state == TrialStatus::running;
  }
  if (queued) return {NextStep::Kind::start_queued, *queued, ""};
  const int made = static_cast<int>(sweep.trials.size());
  if (made < sweep.max_trials && !searcher_exhausted) return {NextStep::Kind::ask_new, 0, ""};
  if (running) return {NextStep::Kind::wait, 0, ""};
  const std::string why = searcher_exhausted && made < sweep.max_trials
                              ? "the search space is exhausted after " + std::to_string(made) + " trials"
                              : "all " + std::to_string(made) + " trials ran";
  return {NextStep::Kind::done, 0, why};
}

EndDecision on_trial_end(const records::SweepRecord& sweep, HostTrack& track, const TrialEnd& end) {
  EndDecision decision;
  decision.why = end.why;
  const records::TrialRecord* trial = sweep.trial(end.trial_id);
  const int tries = trial ? trial->tries : 1;
  switch (end.how) {
    case RunEnd::finished:
    case RunEnd::stopped:
      decision.state = end.how == RunEnd::finished ? TrialStatus::finished : TrialStatus::stopped;
      track.failures_in_a_row = 0;
      track.any_succeeded = true;
      if (!end.host.empty()) track.runs[end.host].push_back({end.trial_id, false, false});
      return decision;
    case RunEnd::interrupted:
      // It goes on when the sweep is resumed, from its checkpoint.
      decision.state = TrialStatus::queued;
      return decision;
    case RunEnd::out_of_money:
      decision.state = TrialStatus::stopped;
      return decision;
    case RunEnd::exploited:
      // It ran fine (the script works); it goes on at once with a copied checkpoint.
      decision.state = TrialStatus::queued;
      track.failures_in_a_row = 0;
      track.any_succeeded = true;
      if (!end.host.empty()) track.runs[end.host].push_back({end.trial_id, false, false});
      return decision;
    case RunEnd::lost:
      // Not the trial's fault: it resumes elsewhere. The pool already released the host.
      if (tries < k_max_trial_tries) {
        decision.state = TrialStatus::queued;
        decision.why = "lost (" + end.why + "); queued again";
      } else {
        decision.state = TrialStatus::failed;
        decision.why = "lost " + std::to_string(tries) + " times; last: " + end.why;
      }
      return decision;
    case RunEnd::failed:
      break;
  }
  decision.state = TrialStatus::failed;
  ++track.failures_in_a_row;
  if (end.host.empty()) return decision;
  const bool follows_trial = failed_elsewhere(track, end.trial_id, end.host);
  auto& runs = track.runs[end.host];
  runs.push_back({end.trial_id, true, !follows_trial});
  // A streak of failures that did not follow their trials, on a host while the script runs
  // fine elsewhere: the host is bad.
  const int streak = static_cast<int>(std::count_if(
      runs.end() - std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(runs.size()), k_host_failure_streak),
      runs.end(), [](const HostTrack::Run& run) { return run.counts_against_host; }));
  if (streak >= k_host_failure_streak && track.any_succeeded) {
    decision.drop_host = end.host;
    decision.drop_why = std::to_string(streak) + " trials in a row failed on it while they run elsewhere";
    for (auto it = runs.end() - k_host_failure_streak; it != runs.end(); ++it) {
      const records::TrialRecord* failed = sweep.trial(it->trial_id);
      const int used = it->trial_id == end.trial_id ? tries : (failed ? failed->tries : k_max_trial_tries);
      if (used >= k_max_trial_tries) continue;
      if (it->trial_id == end.trial_id) {
        decision.state = TrialStatus::queued;
        decision.why = "failed on " + end.host + ", which is dropped; queued again";
      } else {
        decision.requeue.push_back(it->trial_id);
      }
    }
    track.failures_in_a_row = 0;
    return decision;
  }
  if (!track.any_succeeded && track.failures_in_a_row >= k_failures_before_giving_up) {
    decision.give_up = std::to_string(track.failures_in_a_row) +
                       " trials in a row failed and none succeeded: the script fails (see choline logs " + sweep.id +
                       "/" + std::to_string(end.trial_id) + ")";
  }
  return decision;
}

}  // namespace choline::sweep
