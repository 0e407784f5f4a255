// The sweep loop (sweep_loop.hpp): its start and end, the journal, and replay on resume.
#include "sweep_loop.hpp"

#include <choline/records/checkpoint_index.hpp>
#include <choline/records/paths.hpp>
#include <choline/records/run_record.hpp>
#include <choline/sweep/command.hpp>
#include <choline/sweep/ranking.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <thread>
#include <vector>

namespace choline::sweep {

using records::TrialStatus;

std::optional<double> metric_value_of(const records::MetricPoint& point, const std::string& name) {
  if (!point.values.contains(name) || !point.values[name].is_number()) return std::nullopt;
  return point.values[name].get<double>();
}

std::string params_words(const nlohmann::json& params) {
  std::string words;
  for (const auto& arg : trial_args(params)) words += (words.empty() ? "" : " ") + arg;
  return words;
}

SweepLoop::SweepLoop(records::SweepRecord& sweep, const SweepJob& job, SweepSeams& seams, std::ostream& out)
    : m_sweep(sweep),
      m_job(job),
      m_seams(seams),
      m_out(out),
      m_searcher(make_searcher(job.config, sweep.seed)),
      m_stopper(make_stopper(job.config)),
      m_pool(sweep.id, *seams.provider, seams.open_host, sweep.parallel * std::max(1, sweep.options.spec.nodes),
             pool_journal()) {
  if (job.config.method == Method::pbt) m_pbt.emplace(job.config.space, job.config.pbt, job.config.goal(), sweep.seed);
}

Result<int> SweepLoop::run() {
  if (auto ok = replay(); !ok) return ok.error();
  (void)util::write_file_atomic(m_sweep.driver_file(), std::to_string(::getpid()) + "\n");
  std::vector<std::thread> slots;
  for (int slot = 0; slot < std::max(1, m_sweep.parallel); ++slot) slots.emplace_back([this] { slot_loop(); });
  // This thread watches for a stop while the slots work.
  while (m_active.load() > 0 || m_started.load() < static_cast<int>(slots.size())) {
    if (!m_stopping.load() && m_seams.stop_requested && m_seams.stop_requested()) {
      m_stopping = true;
      std::lock_guard lock(m_mutex);
      m_out << "choline: stopping sweep " << m_sweep.id << ": trials stop, hosts are released\n" << std::flush;
    }
    m_seams.clock->sleep_for(m_seams.poll_every);
  }
  for (auto& slot : slots) slot.join();
  return finish();
}

run::SharedPool::Journal SweepLoop::pool_journal() {
  run::SharedPool::Journal journal;
  journal.rented = [this](const providers::Host& host) -> Status {
    std::lock_guard lock(m_mutex);
    records::PoolHostRecord record;
    record.host = host;
    record.rented_at = util::now_iso8601();
    m_sweep.hosts.push_back(record);
    m_out << "choline: sweep " << m_sweep.id << " rented " << host.id << "\n" << std::flush;
    return m_sweep.save();
  };
  journal.released = [this](const providers::Host& host, const std::string& why) {
    std::lock_guard lock(m_mutex);
    if (auto* held = m_sweep.host(host.id)) {
      held->released_at = util::now_iso8601();
      held->released_because = why;
      held->release_failed = false;
    }
    saved();
  };
  journal.release_failed = [this](const providers::Host& host, const Error& error) {
    std::lock_guard lock(m_mutex);
    spdlog::error("could not release {}: {} (choline stop {} tries again)", host.id, error.message, m_sweep.id);
    if (auto* held = m_sweep.host(host.id)) held->release_failed = true;
    saved();
  };
  return journal;
}

// Saves sweep.json (the caller holds m_mutex). A write that fails stops the sweep: what it
// does next could not be recovered.
void SweepLoop::saved() {
  if (auto ok = m_sweep.save(); !ok) {
    spdlog::error("cannot write {}: {}", m_sweep.file().string(), ok.error().message);
    if (!m_journal_error) m_journal_error = ok.error();
    m_stopping = true;
  }
}

// A sweep that ran before (this is `sweep resume`): the searcher learns every trial's
// parameters and outcome, the stopper every metric reported, the pool every host still held.
Status SweepLoop::replay() {
  std::lock_guard lock(m_mutex);
  std::set<std::string> leased;
  // A searcher seeded as before would draw the first trials' parameters again (adopting
  // them does not advance its random numbers): a resumed sweep draws from a seed of its own,
  // still determined by the journal.
  if (!m_sweep.trials.empty()) {
    const std::uint64_t seed = m_sweep.seed + k_resume_seed_step * m_sweep.trials.size();
    m_searcher = make_searcher(m_job.config, seed);
    if (m_pbt) m_pbt.emplace(m_job.config.space, m_job.config.pbt, m_job.config.goal(), seed);
  }
  for (auto& trial : m_sweep.trials) {
    if (auto ok = m_searcher->adopt(trial.id, trial.params); !ok) return ok.error();
    const auto points = records::load_metrics(records::runs_dir(m_sweep.project_dir) / trial.run_id / "metrics.jsonl");
    for (const auto& point : points) {
      if (auto value = metric_value_of(point, m_sweep.metric)) {
        const auto decision = m_stopper->report(trial.id, resource_of(point), *value);
        if (decision.stop && trial.state == TrialStatus::running && !at_trials_end(m_sweep, resource_of(point)))
          m_stop_why[trial.id] = decision.why;
      }
    }
    if (records::is_final(trial.state)) tell_outcome(trial);
    const bool running = trial.state == TrialStatus::running;
    if (!m_pbt && !running) continue;
    const auto run = records::load_run(records::runs_dir(m_sweep.project_dir) / trial.run_id);
    if (m_pbt && run && records::has_checkpoint_files(*run)) m_with_checkpoint.insert(trial.id);
    if (running) {
      // Its driver died: the trial's run is re-attached (or resumed) by the next free slot.
      if (run) {
        for (const auto& host : run->hosts) {
          if (host.state != records::HostState::released) leased.insert(host.host.id);
        }
      }
      trial.state = TrialStatus::queued;
      m_reattach.insert(trial.id);
    }
  }
  for (const auto& host : m_sweep.hosts) {
    if (host.released_at.empty()) m_pool.adopt(host.host, leased.count(host.host.id) > 0);
  }
  if (!m_sweep.trials.empty()) saved();
  return {};
}

std::int64_t SweepLoop::resource_of(const records::MetricPoint& point) const {
  if (m_job.config.resource == ResourceKind::epoch && point.values.contains("epoch") &&
      point.values["epoch"].is_number_integer())
    return point.values["epoch"].get<std::int64_t>();
  return point.step;
}

void SweepLoop::tell_outcome(const records::TrialRecord& trial) {
  switch (trial.state) {
    case TrialStatus::finished:
      m_searcher->tell(trial.id, trial.best ? TrialOutcome::complete(*trial.best) : TrialOutcome::failed());
      m_stopper->finished(trial.id, TrialState::complete);
      break;
    case TrialStatus::stopped:
      m_searcher->tell(trial.id, trial.latest ? TrialOutcome::pruned(*trial.latest, trial.resource)
                                              : TrialOutcome::pruned_without_reports());
      m_stopper->finished(trial.id, TrialState::pruned);
      break;
    case TrialStatus::failed:
      m_searcher->tell(trial.id, TrialOutcome::failed());
      m_stopper->finished(trial.id, TrialState::failed);
      break;
    default:
      break;
  }
}

Result<int> SweepLoop::finish() {
  const std::string why = m_stopping.load() ? "stopped" : "finished";
  auto released = m_pool.release_all("sweep " + why);
  std::lock_guard lock(m_mutex);
  std::error_code ec;
  std::filesystem::remove(m_sweep.driver_file(), ec);
  std::filesystem::remove(m_sweep.stop_file(), ec);
  int code = 0;
  if (m_journal_error) {
    m_sweep.state = records::SweepState::failed;
    m_sweep.reason = m_journal_error->message;
    code = 1;
  } else if (m_give_up) {
    m_sweep.state = records::SweepState::failed;
    m_sweep.reason = m_done_why;
    code = 1;
  } else if (m_stopping.load()) {
    m_sweep.state = records::SweepState::stopped;
    m_sweep.reason = "choline sweep resume " + m_sweep.id + " goes on";
    code = 130;
  } else {
    m_sweep.state = records::SweepState::finished;
    m_sweep.reason = m_done_why;
  }
  if (!released) {
    m_sweep.reason += "; " + released.error().message;
    code = code == 0 ? 1 : code;
  }
  (void)m_sweep.save();
  m_out << "choline: sweep " << m_sweep.id << " " << to_string(m_sweep.state) << ": " << m_sweep.reason << "\n";
  std::vector<TrialScore> scores;
  for (const auto& t : m_sweep.trials) scores.push_back({t.id, t.best});
  const auto ranked = rank_trials(scores, m_job.config.goal());
  if (!ranked.empty() && ranked.front().value) {
    const auto* best = m_sweep.trial(ranked.front().trial_id);
    m_out << "choline: best trial " << best->id << ": " << m_sweep.metric << " " << format_metric(*best->best)
          << " with " << params_words(best->params) << "\n"
          << "  choline sweep status " << m_sweep.id << "   every trial, best first\n"
          << "  choline sweep best " << m_sweep.id << "     the best trial as a choline train command\n";
  }
  m_out << std::flush;
  return code;
}

}  // namespace choline::sweep
