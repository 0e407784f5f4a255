// Population-based training carried out by the sweep loop (sweep_loop.hpp): a round at each
// reported metric, and an exploit as a stop, a copy of the source's checkpoints and a relaunch.
#include "sweep_loop.hpp"

#include <choline/records/checkpoint_index.hpp>
#include <choline/records/paths.hpp>
#include <choline/records/run_record.hpp>
#include <choline/sweep/pbt_policy.hpp>
#include <choline/util/clock.hpp>

#include <spdlog/spdlog.h>

namespace choline::sweep {

using records::TrialStatus;

// Population-based training at a reported metric (the caller holds m_mutex): the due trials are
// checked, and a trial in the bottom is stopped to be replaced (ended() carries the copy out).
// Whether any trial is to be replaced.
bool SweepLoop::pbt_round() {
  const PbtRound round = m_pbt->decide(pbt_population(m_sweep, m_with_checkpoint));
  if (round.due.empty()) return false;
  std::set<int> replacing;
  for (const auto& entry : m_replacing) replacing.insert(entry.first);
  const std::vector<PbtExploit> exploits = take_round(m_sweep, round, replacing);
  for (const auto& exploit : exploits) {
    m_out << "choline: trial " << exploit.trial_id << " is replaced: " << exploit.why << "\n" << std::flush;
    m_stop_why[exploit.trial_id] = "population-based training: " + exploit.why;
    m_replacing[exploit.trial_id] = exploit;
  }
  return !exploits.empty();
}

// An exploit whose trial stopped (the caller holds m_mutex): the trial's run takes the source's
// checkpoints and the new parameters' command; the trial its parameters. Returns false (the
// trial then goes on unchanged, from its own checkpoint) when the copy fails.
bool SweepLoop::carry_out_exploit(records::TrialRecord& trial, const PbtExploit& exploit) {
  const records::TrialRecord* source = m_sweep.trial(exploit.source_trial_id);
  const auto runs = records::runs_dir(m_sweep.project_dir);
  if (!source) return false;
  auto from = records::load_run(runs / source->run_id);
  auto to = records::load_run(runs / trial.run_id);
  auto command = trial_command(m_job, m_sweep.entry, exploit.params);
  std::string problem;
  if (!from) problem = from.error().message;
  if (!to) problem = to.error().message;
  if (!command) problem = command.error().message;
  if (problem.empty()) {
    auto resumes_from = records::take_checkpoints_of(*from, *to);
    if (!resumes_from) problem = resumes_from.error().message;
    if (resumes_from && resumes_from->empty()) problem = "the copy holds no intact checkpoint";
  }
  if (!problem.empty()) {
    spdlog::warn("trial {} keeps its own checkpoint and parameters: {}", trial.id, problem);
    return false;
  }
  to->command = *command;
  if (auto ok = to->save(); !ok) spdlog::error("trial {}: {}", trial.id, ok.error().message);
  apply_exploit(trial, exploit, source->resource, to_string(m_job.config.resource), util::now_iso8601());
  return true;
}

}  // namespace choline::sweep
