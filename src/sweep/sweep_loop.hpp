#pragma once
// The sweep loop's state and steps (private to src/sweep; executor.hpp is the interface):
// slots that run trials one after another on a shared pool, carrying out what the pure
// decisions (sweep_policy, pbt_policy, the searcher and the stopper) say. Its parts:
//   sweep_loop.cpp       the loop's start and end, the journal (sweep.json), replay on resume
//   sweep_trials.cpp     a slot: next trial, running it as a run, its metrics, its end
//   sweep_pbt_steps.cpp  population-based training's exploits: a stop, a copy, a relaunch

#include <choline/records/metrics.hpp>
#include <choline/records/sweep_record.hpp>
#include <choline/run/shared_pool.hpp>
#include <choline/sweep/executor.hpp>
#include <choline/sweep/pbt.hpp>
#include <choline/sweep/searcher.hpp>
#include <choline/sweep/stopper.hpp>
#include <choline/sweep/sweep_policy.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>

namespace choline::sweep {

// Added to the seed per trial already made when a sweep resumes (the golden ratio's bits).
inline constexpr std::uint64_t k_resume_seed_step = 0x9E3779B97F4A7C15ULL;
// Polls of Ctrl-C after the sweep stopped before a run that did not hear the stop otherwise is
// interrupted (see run_trial).
inline constexpr int k_stop_polls_before_interrupt = 50;
// How often the trials' latest metric values are written to sweep.json while they run.
inline constexpr double k_metric_save_every_s = 1.0;

// The metric's value in a metrics point, or nullopt when the point does not carry it.
std::optional<double> metric_value_of(const records::MetricPoint& point, const std::string& name);
// A trial's parameters as its command line gives them: "--lr=0.01 --width=64".
std::string params_words(const nlohmann::json& params);

class SweepLoop {
 public:
  SweepLoop(records::SweepRecord& sweep, const SweepJob& job, SweepSeams& seams, std::ostream& out);

  Result<int> run();

 private:
  // ---- The journal (sweep_loop.cpp) ----
  run::SharedPool::Journal pool_journal();
  // Saves sweep.json (the caller holds m_mutex). A write that fails stops the sweep: what it
  // does next could not be recovered.
  void saved();
  // A sweep that ran before (this is `sweep resume`): the searcher learns every trial's
  // parameters and outcome, the stopper every metric reported, the pool every host still held.
  Status replay();
  std::int64_t resource_of(const records::MetricPoint& point) const;
  void tell_outcome(const records::TrialRecord& trial);
  Result<int> finish();

  // ---- Slots (sweep_trials.cpp) ----
  double spent() const { return m_sweep.spent(m_seams.wall_clock()); }
  void slot_loop();
  // Runs one trial to its end, as a new run or (its run exists: it was lost, or its driver died)
  // by resuming its run.
  TrialEnd run_trial(int trial_id, const nlohmann::json& params);
  // A metrics point a trial reported: its values noted, the stopper asked, a PBT round held.
  void on_metric(int trial_id, const records::MetricPoint& point);
  void note_value(records::TrialRecord& trial, double value, std::int64_t resource) const;
  // The trial's values from its merged metrics history, which holds what arrived while no
  // sweep was watching too (a trial that ended while its driver was dead).
  void refresh_from_metrics(records::TrialRecord& trial) const;
  // A trial ended: the policy says what it becomes; the searcher, the stopper and the journal
  // hear it; a bad host is dropped.
  void ended(const TrialEnd& end);
  std::string describe(const records::TrialRecord& trial) const;

  // ---- Population-based training (sweep_pbt_steps.cpp) ----
  // Population-based training at a reported metric (the caller holds m_mutex): the due trials are
  // checked, and a trial in the bottom is stopped to be replaced (ended() carries the copy out).
  // Whether any trial is to be replaced.
  bool pbt_round();
  // An exploit whose trial stopped (the caller holds m_mutex): the trial's run takes the source's
  // checkpoints and the new parameters' command; the trial its parameters. Returns false (the
  // trial then goes on unchanged, from its own checkpoint) when the copy fails.
  bool carry_out_exploit(records::TrialRecord& trial, const PbtExploit& exploit);

  records::SweepRecord& m_sweep;
  const SweepJob& m_job;
  SweepSeams& m_seams;
  std::ostream& m_out;
  std::unique_ptr<Searcher> m_searcher;
  std::unique_ptr<Stopper> m_stopper;
  run::SharedPool m_pool;

  std::mutex m_mutex;  // guards everything below and m_sweep, the searcher and the stopper
  HostTrack m_track;
  std::map<int, std::string> m_stop_why;  // trials the stopper stopped, and why
  std::set<int> m_out_of_money;
  std::set<int> m_reattach;                      // trials whose driver died while they ran
  std::optional<PopulationBasedTraining> m_pbt;  // method: pbt
  std::map<int, PbtExploit> m_replacing;         // trials stopped to take another trial's checkpoint
  std::set<int> m_with_checkpoint;               // trials with a checkpoint at home
  bool m_exhausted = false;
  bool m_give_up = false;
  std::string m_done_why;
  std::optional<Error> m_journal_error;
  double m_last_metric_save = 0;
  std::atomic<bool> m_stopping{false};
  std::atomic<int> m_active{0};
  std::atomic<int> m_started{0};
};

}  // namespace choline::sweep
