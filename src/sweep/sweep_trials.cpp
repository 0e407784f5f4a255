// A slot of the sweep loop (sweep_loop.hpp): the next trial, run as a run on the shared pool, its
// metrics as they arrive, and what its end means.
#include "sweep_loop.hpp"

#include <choline/logs/log_sink.hpp>
#include <choline/records/checkpoint_index.hpp>
#include <choline/records/cost.hpp>
#include <choline/records/paths.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/controller.hpp>
#include <choline/run/run_commands.hpp>
#include <choline/sweep/command.hpp>
#include <choline/sweep/pbt_policy.hpp>
#include <choline/sweep/ranking.hpp>
#include <choline/util/clock.hpp>

#include <spdlog/spdlog.h>

#include <cmath>
#include <sstream>

namespace choline::sweep {

using records::TrialStatus;

namespace {

bool better_value(double candidate, double than, Goal goal) {
  return goal == Goal::maximize ? candidate > than : candidate < than;
}

}  // namespace

void SweepLoop::slot_loop() {
  ++m_active;
  ++m_started;
  for (;;) {
    std::unique_lock lock(m_mutex);
    if (m_stopping.load() || m_give_up) break;
    const NextStep step = next_step(m_sweep, m_exhausted, spent());
    if (step.kind == NextStep::Kind::done) {
      if (m_done_why.empty()) m_done_why = step.why;
      break;
    }
    if (step.kind == NextStep::Kind::wait) {
      lock.unlock();
      m_seams.clock->sleep_for(m_seams.poll_every);
      continue;
    }
    int trial_id = step.trial_id;
    if (step.kind == NextStep::Kind::ask_new) {
      trial_id = 1;
      for (const auto& t : m_sweep.trials) trial_id = std::max(trial_id, t.id + 1);
      auto params = m_searcher->ask(trial_id);
      if (!params) {
        m_exhausted = true;
        continue;
      }
      records::TrialRecord trial;
      trial.id = trial_id;
      trial.params = *params;
      trial.run_id = m_sweep.trial_run_id(trial_id);
      m_sweep.trials.push_back(trial);
    }
    records::TrialRecord& trial = *m_sweep.trial(trial_id);
    const bool reattach = m_reattach.erase(trial_id) > 0;
    const bool goes_on = goes_on_from_copy(trial);  // PBT gave it another trial's checkpoint
    trial.state = TrialStatus::running;
    if (!reattach && !goes_on) ++trial.tries;
    trial.started_at = util::now_iso8601();
    trial.ended_at.clear();
    m_stop_why.erase(trial_id);
    saved();
    m_out << "choline: trial " << trial_id
          << (reattach  ? " re-attached"
              : goes_on ? " goes on from trial " + std::to_string(trial.copies.back().from_trial) + "'s checkpoint"
              : trial.tries > 1 ? " resumed"
                                : " started")
          << ": " << params_words(trial.params) << "\n"
          << std::flush;
    const nlohmann::json params = trial.params;
    lock.unlock();
    const TrialEnd end = run_trial(trial_id, params);
    ended(end);
  }
  --m_active;
}

// Runs one trial to its end, as a new run or (its run exists: it was lost, or its driver died)
// by resuming its run.
TrialEnd SweepLoop::run_trial(int trial_id, const nlohmann::json& params) {
  const std::filesystem::path project = m_sweep.project_dir;
  const std::string run_id = m_sweep.trial_run_id(trial_id);
  auto existing = records::load_run(records::runs_dir(project) / run_id);
  std::optional<records::RunRecord> record;
  if (existing) {
    record = std::move(*existing);
  } else {
    auto command = trial_command(m_job, m_sweep.entry, params);
    if (!command) return {trial_id, "", RunEnd::failed, -1, command.error().message};
    records::RunRecord fresh;
    fresh.id = run_id;
    fresh.project_dir = m_sweep.project_dir;
    fresh.created_at = util::now_iso8601();
    fresh.command = *command;
    fresh.entry = m_sweep.entry;
    fresh.options = m_sweep.options;
    fresh.options.max_cost.reset();  // the sweep's limit, not each trial's
    auto created = records::create_run(project, std::move(fresh));
    if (!created) return {trial_id, "", RunEnd::lost, -1, created.error().message};
    record = std::move(*created);
  }

  logs::LogSink sink(record->logs_dir(), nullptr, std::max(1, m_sweep.options.spec.count));
  run::Seams seams;
  seams.provider = m_seams.provider;
  seams.open_host = m_seams.open_host;
  seams.pool = &m_pool;
  seams.clock = m_seams.clock;
  seams.wall_clock = m_seams.wall_clock;
  seams.poll_every = m_seams.poll_every;
  seams.checkpoint_pull_every = m_seams.checkpoint_pull_every;
  seams.interrupted = [this] { return m_stopping.load(); };
  // A stopped sweep stops its trials as an outside stop (poll_stop: workers stopped, the
  // newest checkpoints pulled home for the resume), not as Ctrl-C on one run, which skips the
  // pull. A following run hears poll_stop at its first poll; only a run that polls Ctrl-C
  // alone (waiting for a replacement host) still hears nothing after that many polls, and
  // then gets Ctrl-C.
  auto polls_since_stop = std::make_shared<int>(0);
  seams.poll_interrupt = [this, polls_since_stop]() -> std::optional<bool> {
    if (!m_stopping.load() || ++*polls_since_stop < k_stop_polls_before_interrupt) return std::nullopt;
    return true;
  };
  seams.poll_stop = [this, trial_id]() -> std::optional<std::string> {
    if (m_stopping.load()) return std::string("the sweep was stopped");
    std::lock_guard lock(m_mutex);
    if (auto it = m_stop_why.find(trial_id); it != m_stop_why.end()) return it->second;
    if (over_budget(m_sweep, spent())) {
      m_out_of_money.insert(trial_id);
      return std::string("the sweep's cost limit is reached");
    }
    return std::nullopt;
  };
  seams.sink = &sink;
  seams.hooks.checkpoints_pulled = [this, trial_id](const records::RunRecord& run) {
    if (m_pbt && records::has_checkpoint_files(run)) {
      std::lock_guard lock(m_mutex);
      m_with_checkpoint.insert(trial_id);
    }
    if (m_seams.hooks.checkpoints_pulled) m_seams.hooks.checkpoints_pulled(run);
  };
  seams.hooks.metrics = [this, trial_id](const records::MetricPoint& point) { on_metric(trial_id, point); };
  if (m_seams.adjust_trial_seams) m_seams.adjust_trial_seams(seams);

  std::map<std::string, std::string> env = m_job.forwarded_env;
  env["CHOLINE_TRIAL"] = std::to_string(trial_id);
  env["CHOLINE_PARAMS"] = params.dump();
  std::ostringstream run_out;  // the run's own lines; the sweep says what matters per trial
  Result<int> result = existing ? run::resume_with(
                                      *record, [&seams]() -> run::Seams* { return &seams; }, env, run_out,
                                      [] { return make_error(ErrorKind::internal, "no seams"); })
                                : run::execute(*record, seams, run::event::Start{}, env, run_out);
  spdlog::debug("trial {}: {}", trial_id, run_out.str());

  std::lock_guard lock(m_mutex);
  records::TrialRecord* trial = m_sweep.trial(trial_id);
  if (trial) trial->cost = records::cost_of(*record, m_seams.wall_clock()).spent;
  TrialAsks asks;
  if (auto it = m_replacing.find(trial_id); it != m_replacing.end()) asks.replace = it->second.why;
  if (auto it = m_stop_why.find(trial_id); it != m_stop_why.end()) asks.stop = it->second;
  asks.rung = trial ? trial->rung : -1;
  asks.out_of_money = m_out_of_money.count(trial_id) > 0;
  asks.sweep_stopping = m_stopping.load();
  return trial_end_of(trial_id, *record, result ? std::nullopt : std::optional<std::string>(result.error().message),
                      asks);
}

void SweepLoop::on_metric(int trial_id, const records::MetricPoint& point) {
  const auto value = metric_value_of(point, m_sweep.metric);
  if (!value) return;
  std::lock_guard lock(m_mutex);
  records::TrialRecord* trial = m_sweep.trial(trial_id);
  if (!trial) return;
  note_value(*trial, *value, resource_of(point));
  const StopDecision decision = m_stopper->report(trial_id, trial->resource, *value);
  if (decision.stop && !m_stop_why.count(trial_id) && !at_trials_end(m_sweep, trial->resource)) {
    m_stop_why[trial_id] = decision.why;
    trial->rung = decision.rung;
  }
  const bool exploits = m_pbt && pbt_round();
  // The values are for status tables: saved at most every k_metric_save_every (and at the
  // trial's end), not at every line of every trial.
  const double now = m_seams.wall_clock();
  if (decision.stop || exploits || now - m_last_metric_save >= k_metric_save_every_s) {
    m_last_metric_save = now;
    saved();
  }
}

void SweepLoop::note_value(records::TrialRecord& trial, double value, std::int64_t resource) const {
  trial.latest = value;
  if (!trial.best || std::isnan(*trial.best) || better_value(value, *trial.best, m_job.config.goal()))
    trial.best = value;
  trial.resource = resource;
}

// The trial's values from its merged metrics history, which holds what arrived while no
// sweep was watching too (a trial that ended while its driver was dead).
void SweepLoop::refresh_from_metrics(records::TrialRecord& trial) const {
  const auto points = records::load_metrics(records::runs_dir(m_sweep.project_dir) / trial.run_id / "metrics.jsonl");
  bool any = false;
  for (const auto& point : points) {
    const auto value = metric_value_of(point, m_sweep.metric);
    if (!value) continue;
    if (!any) trial.best.reset();
    any = true;
    note_value(trial, *value, resource_of(point));
  }
}

// A trial ended: the policy says what it becomes; the searcher, the stopper and the journal
// hear it; a bad host is dropped.
void SweepLoop::ended(const TrialEnd& end) {
  std::optional<std::string> drop, drop_why;
  {
    std::lock_guard lock(m_mutex);
    records::TrialRecord* trial = m_sweep.trial(end.trial_id);
    if (!trial) return;
    refresh_from_metrics(*trial);
    const auto replacing = m_replacing.find(end.trial_id);
    if (replacing != m_replacing.end()) {
      if (end.how == RunEnd::exploited && !carry_out_exploit(*trial, replacing->second)) {
        trial->why = "population-based training could not copy trial " +
                     std::to_string(replacing->second.source_trial_id) + "'s checkpoint: goes on as it was";
      }
      m_replacing.erase(replacing);
    }
    const EndDecision decision = on_trial_end(m_sweep, m_track, end);
    trial->state = decision.state;
    if (end.how != RunEnd::exploited) trial->why = decision.why;
    trial->host = end.host;
    trial->ended_at = util::now_iso8601();
    if (end.how != RunEnd::stopped) trial->rung = -1;  // a stop decided too late to take effect
    for (int other : decision.requeue) {
      if (auto* again = m_sweep.trial(other)) {
        again->state = TrialStatus::queued;
        again->why = "failed on " + end.host + ", which is dropped; queued again";
      }
    }
    if (decision.drop_host) {
      drop = decision.drop_host;
      drop_why = decision.drop_why;
    }
    if (decision.give_up) {
      m_give_up = true;
      m_done_why = *decision.give_up;
      // The trials still running stop too (queued again, for a `sweep resume` after a fix):
      // the same script would only fail on them later, at the hosts' price.
      m_stopping = true;
    }
    tell_outcome(*trial);
    saved();
    m_out << "choline: trial " << end.trial_id << " " << describe(*trial) << "\n" << std::flush;
  }
  if (drop) {
    {
      std::lock_guard lock(m_mutex);  // the output is shared by the slots
      m_out << "choline: dropping host " << *drop << ": " << *drop_why << "\n" << std::flush;
    }
    // Outside the lock: the pool's journal callback takes it.
    if (auto ok = m_pool.drop(*drop, *drop_why); !ok) spdlog::error("{}", ok.error().message);
  }
}

std::string SweepLoop::describe(const records::TrialRecord& trial) const {
  std::string text;
  switch (trial.state) {
    case TrialStatus::stopped:
      text = trial.rung >= 0 ? "stopped early at rung " + std::to_string(trial.rung) : "stopped";
      break;
    default:
      text = to_string(trial.state);
  }
  if (trial.best) text += ": " + m_sweep.metric + " " + format_metric(*trial.best) + " (best)";
  if (trial.resource > 0)
    text += " at " + std::string(to_string(m_job.config.resource)) + " " + std::to_string(trial.resource);
  if (!trial.why.empty() && trial.state != TrialStatus::finished) text += "; " + trial.why;
  return text;
}

}  // namespace choline::sweep
