// The sweep loop (executor.hpp): slots that run trials one after another on a shared pool,
// carrying out what sweep_policy decides.
#include <choline/sweep/executor.hpp>

#include <choline/logs/log_sink.hpp>
#include <choline/records/checkpoint_index.hpp>
#include <choline/records/cost.hpp>
#include <choline/records/metrics.hpp>
#include <choline/records/paths.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/controller.hpp>
#include <choline/run/run_commands.hpp>
#include <choline/run/shared_pool.hpp>
#include <choline/sweep/command.hpp>
#include <choline/sweep/pbt_policy.hpp>
#include <choline/sweep/ranking.hpp>
#include <choline/sweep/searcher.hpp>
#include <choline/sweep/stopper.hpp>
#include <choline/sweep/sweep_policy.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace choline::sweep {

namespace {

using records::TrialStatus;

// Added to the seed per trial already made when a sweep resumes (the golden ratio's bits).
inline constexpr std::uint64_t k_resume_seed_step = 0x9E3779B97F4A7C15ULL;
// Polls of Ctrl-C after the sweep stopped before a run that did not hear the stop otherwise is
// interrupted (see run_trial).
inline constexpr int k_stop_polls_before_interrupt = 50;
// How often the trials' latest metric values are written to sweep.json while they run.
inline constexpr double k_metric_save_every_s = 1.0;

// The metric's value in a metrics point, or nullopt when the point does not carry it.
std::optional<double> metric_value_of(const records::MetricPoint& point, const std::string& name) {
  if (!point.values.contains(name) || !point.values[name].is_number()) return std::nullopt;
  return point.values[name].get<double>();
}

bool better_value(double candidate, double than, Goal goal) {
  return goal == Goal::maximize ? candidate > than : candidate < than;
}

std::string params_words(const nlohmann::json& params) {
  std::string words;
  for (const auto& arg : trial_args(params)) words += (words.empty() ? "" : " ") + arg;
  return words;
}

class SweepLoop {
 public:
  SweepLoop(records::SweepRecord& sweep, const SweepJob& job, SweepSeams& seams, std::ostream& out)
      : m_sweep(sweep),
        m_job(job),
        m_seams(seams),
        m_out(out),
        m_searcher(make_searcher(job.config, sweep.seed)),
        m_stopper(make_stopper(job.config)),
        m_pool(sweep.id, *seams.provider, seams.open_host, sweep.parallel * std::max(1, sweep.options.spec.nodes),
               pool_journal()) {
    if (job.config.method == Method::pbt)
      m_pbt.emplace(job.config.space, job.config.pbt, job.config.goal(), sweep.seed);
  }

  Result<int> run() {
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

 private:
  // ---- The journal ----

  run::SharedPool::Journal pool_journal() {
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
  void saved() {
    if (auto ok = m_sweep.save(); !ok) {
      spdlog::error("cannot write {}: {}", m_sweep.file().string(), ok.error().message);
      if (!m_journal_error) m_journal_error = ok.error();
      m_stopping = true;
    }
  }

  // A sweep that ran before (this is `sweep resume`): the searcher learns every trial's
  // parameters and outcome, the stopper every metric reported, the pool every host still held.
  Status replay() {
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
      const auto points =
          records::load_metrics(records::runs_dir(m_sweep.project_dir) / trial.run_id / "metrics.jsonl");
      for (const auto& point : points) {
        if (auto value = metric_value_of(point, m_sweep.metric)) {
          const auto decision = m_stopper->report(trial.id, resource_of(point), *value);
          if (decision.stop && trial.state == TrialStatus::running && !at_trials_end(m_sweep, resource_of(point)))
            m_stop_why[trial.id] = decision.why;
        }
      }
      if (records::is_final(trial.state)) tell_outcome(trial);
      if (m_pbt) {
        if (auto run = records::load_run(records::runs_dir(m_sweep.project_dir) / trial.run_id);
            run && records::has_checkpoint_files(*run))
          m_with_checkpoint.insert(trial.id);
      }
      if (trial.state == TrialStatus::running) {
        // Its driver died: the trial's run is re-attached (or resumed) by the next free slot.
        if (auto run = records::load_run(records::runs_dir(m_sweep.project_dir) / trial.run_id)) {
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

  std::int64_t resource_of(const records::MetricPoint& point) const {
    if (m_job.config.resource == ResourceKind::epoch && point.values.contains("epoch") &&
        point.values["epoch"].is_number_integer())
      return point.values["epoch"].get<std::int64_t>();
    return point.step;
  }

  void tell_outcome(const records::TrialRecord& trial) {
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

  // ---- Slots ----

  double spent() const { return m_sweep.spent(m_seams.wall_clock()); }

  void slot_loop() {
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
  TrialEnd run_trial(int trial_id, const nlohmann::json& params) {
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

  void on_metric(int trial_id, const records::MetricPoint& point) {
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

  // Population-based training at a reported metric (the caller holds m_mutex): the due trials are
  // checked, and a trial in the bottom is stopped to be replaced (ended() carries the copy out).
  // Whether any trial is to be replaced.
  bool pbt_round() {
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
  bool carry_out_exploit(records::TrialRecord& trial, const PbtExploit& exploit) {
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

  void note_value(records::TrialRecord& trial, double value, std::int64_t resource) const {
    trial.latest = value;
    if (!trial.best || std::isnan(*trial.best) || better_value(value, *trial.best, m_job.config.goal()))
      trial.best = value;
    trial.resource = resource;
  }

  // The trial's values from its merged metrics history, which holds what arrived while no
  // sweep was watching too (a trial that ended while its driver was dead).
  void refresh_from_metrics(records::TrialRecord& trial) const {
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
  void ended(const TrialEnd& end) {
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

  std::string describe(const records::TrialRecord& trial) const {
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

  Result<int> finish() {
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

}  // namespace

Result<std::vector<std::string>> trial_command(const SweepJob& job, const std::string& entry,
                                               const nlohmann::json& params) {
  if (job.config.command.empty()) {
    std::vector<std::string> argv = job.base_argv;
    for (auto& arg : trial_args(params)) argv.push_back(std::move(arg));
    return argv;
  }
  CommandInputs inputs;
  inputs.program = job.config.program.empty() ? entry : job.config.program;
  inputs.python = job.python;
  inputs.params = params;
  return expand_command(job.config.command, inputs);
}

Result<int> run_sweep(records::SweepRecord& sweep, const SweepJob& job, SweepSeams& seams, std::ostream& out) {
  if (!seams.provider) return make_error(ErrorKind::internal, "a sweep needs a provider");
  SweepLoop loop(sweep, job, seams, out);
  return loop.run();
}

}  // namespace choline::sweep
