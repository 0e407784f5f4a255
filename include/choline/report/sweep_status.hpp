#pragma once
// `choline sweep status` (a table, or JSON) and `choline sweep best` (the best trial as a ready
// `choline train` command): pure, the journal in, the text out. Which trial is best and the
// arguments a trial's parameters become are the sweep layer's decisions (sweep::rank_trials,
// sweep::trial_args), and the report layer may not include sweep/: the caller passes them in,
// so the table shows exactly the order and the arguments the trials ran with.

#include <choline/error.hpp>
#include <choline/records/sweep_record.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace choline::report {

struct SweepStatusInputs {
  const records::SweepRecord& sweep;
  std::vector<int> best_first;                         // trial ids, best first (ids not in the sweep are skipped)
  std::map<int, std::vector<std::string>> trial_args;  // by trial id: the "--name=value" words it was given
  double now_epoch_s = 0;                              // the end of the spend and time of a sweep still running
};

// A trial's state as people read it: "stopped early at rung 1", "failed after 3 tries",
// "queued to resume", "lost and resumed", ...
std::string trial_state_text(const records::TrialRecord& trial);

// The host a trial ran on, as tables show it: "node1" for the pool's "<sweep>-node1", any other
// host by its id, "-" for none.
std::string trial_host_text(const records::SweepRecord& sweep, const std::string& host);

// The table: a line about the sweep (state, trials, spend, time), a header, a line per trial.
std::string sweep_status_text(const SweepStatusInputs& inputs);

// `sweep status --json`: the sweep, its trials best first and its pool's hosts.
nlohmann::json sweep_status_json(const SweepStatusInputs& inputs);

// `sweep best`: a "# trial N of SWEEP: ..." line, then the command that trains the best trial's
// parameters alone, every word quoted for a POSIX shell where it has to be. not_found when no
// trial has a value of the metric yet.
Result<std::string> best_trial_command(const SweepStatusInputs& inputs);

}  // namespace choline::report
