#pragma once
// What a sweep does next, pure: which trial a free slot starts, what becomes of a trial that
// ended (finished, stopped early, failed, lost with its host), when a host is dropped from the
// pool, when the sweep gives up, and when its money is spent. It reads the journal
// (records::SweepRecord) and a value of what ran where (HostTrack); the executor (executor.hpp)
// carries the decisions out. No clocks, no I/O: unit-tested on fixed sequences.

#include <choline/records/run_record.hpp>
#include <choline/records/sweep_record.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace choline::sweep {

// Starts of one trial: the first, and each requeue after its host died under it.
inline constexpr int k_max_trial_tries = 3;
// Trials in a row that failed on one host, for reasons that did not follow them, before the
// host is dropped from the pool (a bad GPU, a full disk).
inline constexpr int k_host_failure_streak = 2;
// Trials in a row that failed, none having finished, before the sweep gives up: the script
// itself is broken, and every further trial would only cost money.
inline constexpr int k_failures_before_giving_up = 3;

// What a free slot does.
struct NextStep {
  enum class Kind {
    start_queued,  // start (or resume from its checkpoint) the queued trial `trial_id`
    ask_new,       // ask the searcher for a new trial
    wait,          // nothing to start now, but a running trial may yet be requeued
    done,          // the slot has nothing left to do
  };
  Kind kind = Kind::done;
  int trial_id = 0;
  std::string why;  // done: why the sweep ends ("12 trials ran", "cost limit reached")
};

// `searcher_exhausted`: the searcher said no more (a grid that ran out). `spent`: what the
// sweep's hosts cost so far. A sweep that is not running, or whose cost reached max_cost, starts
// nothing; queued trials go first (lowest id first), then new ones up to max_trials.
NextStep next_step(const records::SweepRecord& sweep, bool searcher_exhausted, double spent);

// Whether a trial that reported `resource` is at its end: a trial of the sweep finished there
// (or later). A stopper's verdict then comes too late to save anything: the trial is left to
// finish (and counts as complete for the searcher), not stopped at its last step.
bool at_trials_end(const records::SweepRecord& sweep, std::int64_t resource);

// Whether the sweep's money is spent: running trials are stopped, nothing new starts.
bool over_budget(const records::SweepRecord& sweep, double spent);

// What ran on each host, in order: the trial and whether it failed there.
struct HostTrack {
  struct Run {
    int trial_id = 0;
    bool failed = false;
    bool counts_against_host = false;  // a failure that did not follow the trial
  };
  std::map<std::string, std::vector<Run>> runs;  // by host id
  int failures_in_a_row = 0;                     // trials that failed, since the last that did not
  bool any_succeeded = false;                    // a trial finished or was stopped early
};

// How a trial's run ended, as the executor saw it.
enum class RunEnd {
  finished,      // the job succeeded
  stopped,       // stopped early by the stopper (`rung`, `why`)
  interrupted,   // the sweep was stopped (Ctrl-C, choline stop): it resumes with the sweep
  out_of_money,  // stopped because the sweep's money is spent
  failed,        // the job failed
  lost,          // its host died and its run could not go on (or it could not get a host)
  exploited,     // population-based training replaced it: it goes on from another trial's checkpoint
};
const char* to_string(RunEnd end);

struct TrialEnd {
  int trial_id = 0;
  std::string host;  // the host it ended on ("" when it never got one)
  RunEnd how = RunEnd::finished;
  int rung = -1;
  std::string why;
};

// What the sweep asked of a trial's run while it ran (the executor's bookkeeping).
struct TrialAsks {
  std::optional<std::string> replace;  // population-based training replaces it, and why
  std::optional<std::string> stop;     // the stopper stopped it, and why
  int rung = -1;                       // ... at this rung
  bool out_of_money = false;           // stopped because the sweep's money is spent
  bool sweep_stopping = false;         // the sweep is being stopped (Ctrl-C, choline stop, giving up)
};

// How a trial's run ended, read from its record (`run`, as the run layer left it) and what the
// sweep asked of it: a stop the sweep asked for counts only when the run did stop (a trial that
// finished first finished). `error`: what running or resuming it returned, when it could not run.
TrialEnd trial_end_of(int trial_id, const records::RunRecord& run, const std::optional<std::string>& error,
                      const TrialAsks& asks);

struct EndDecision {
  records::TrialStatus state = records::TrialStatus::finished;  // what the trial becomes
  std::string why;
  std::optional<std::string> drop_host;  // release this host from the pool, and why (drop_why)
  std::string drop_why;
  std::vector<int> requeue;            // other trials to queue again (their failure was the host's)
  std::optional<std::string> give_up;  // stop the sweep, and why
};

// Decides what a trial's end means, and notes it in `track`. A lost trial is queued again (it
// resumes from its checkpoint) until it has used its tries. A failed trial counts against its
// host unless the same trial failed on another host before (then the failure follows the trial);
// once k_host_failure_streak trials in a row counted against a host, and some trial ran
// successfully elsewhere (the script works), the host is dropped and those trials requeued.
// k_failures_before_giving_up failures in a row with no success at all give the sweep up.
EndDecision on_trial_end(const records::SweepRecord& sweep, HostTrack& track, const TrialEnd& end);

}  // namespace choline::sweep
