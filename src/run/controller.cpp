#include <choline/run/controller.hpp>

#include "execution.hpp"

#include <choline/records/cost.hpp>
#include <choline/records/run_files.hpp>
#include <choline/util/parallel.hpp>
#include <choline/util/progress.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <deque>

namespace choline::run {

namespace {

// The loop: an event is noted in the record, decided on, and its actions carried out; their
// outcomes are the next events. Following blocks until something happens, so it waits until
// every queued event is handled.
class Executor {
 public:
  explicit Executor(Execution& run) : m_run(run), m_record(run.record) {}

  Result<int> run(const Event& first) {
    m_events.push_back(first);
    while (!m_result) {
      if (m_events.empty()) {
        if (!m_follow_pending) {
          spdlog::error("run {}: the lifecycle has nothing left to do", m_record.id);
          finish({records::RunState::failed, "internal error: the run stalled", 1,
                  make_error(ErrorKind::internal, "the run stalled")});
          break;
        }
        m_follow_pending = false;
        m_events.push_back(follow(m_run));
      }
      const Event event = note(m_events.front());
      m_events.pop_front();
      carry_out_all(decide(snapshot_of(m_record, m_run.observer), event));
    }
    return *m_result;
  }

 private:
  // ---- What an event says happened goes in the record before it is decided on ----

  Event note(const Event& event) {
    if (const auto* ended = std::get_if<event::AttemptEnded>(&event)) {
      (void)checked(m_record.end_attempt(ended->result.description, ended->result.exit_code));
    } else if (const auto* lost = std::get_if<event::HostLost>(&event)) {
      spdlog::warn("node {} lost: {}", lost->node, lost->reason);
    } else if (const auto* prepared = std::get_if<event::Prepared>(&event)) {
      // Here, on the loop's thread, and not where the node was prepared: the snapshot of the
      // next decision sees exactly the nodes whose Prepared came before.
      records::HostRecord* host = m_record.current_host(prepared->node);
      if (!host) return event;
      host->state = records::HostState::ready;
      if (auto ok = m_run.journal(records::JournalEvent::host_ready, {{"node", prepared->node}}); !ok) {
        return event::PrepareFailed{prepared->node, ok.error()};
      }
    }
    return event;
  }

  Status checked(const Status& status) {
    if (!status && !m_run.journal_error) m_run.journal_error = status.error();
    return status;
  }

  // ---- Carrying out ----

  // Runs the actions in order; consecutive Creates (or Prepares) run together, since each waits
  // on a provider or a network for seconds to minutes. Their outcomes are posted in node order.
  void carry_out_all(const Actions& actions) {
    for (std::size_t i = 0; i < actions.size() && !m_result;) {
      std::vector<int> creates, prepares;
      while (i < actions.size() && std::holds_alternative<action::Create>(actions[i])) {
        creates.push_back(std::get<action::Create>(actions[i++]).node);
      }
      while (creates.empty() && i < actions.size() && std::holds_alternative<action::Prepare>(actions[i])) {
        prepares.push_back(std::get<action::Prepare>(actions[i++]).node);
      }
      if (!creates.empty()) {
        for (auto& outcome : provision(m_run, creates)) post(std::move(outcome));
      } else if (!prepares.empty()) {
        for (int node : prepares) spdlog::debug("run {}: Prepare({})", m_record.id, node);
        for (auto& outcome : util::parallel_map(prepares, [this](int node) { return prepare(m_run, node); })) {
          post(std::move(outcome));
        }
      } else {
        spdlog::debug("run {}: {}", m_record.id, describe(actions[i]));
        std::visit([this](const auto& a) { carry_out(a); }, actions[i]);
        ++i;
      }
    }
  }

  void carry_out(const action::Create& a) {
    for (auto& outcome : provision(m_run, {a.node})) post(std::move(outcome));
  }
  void carry_out(const action::Prepare& a) { post(prepare(m_run, a.node)); }

  void carry_out(const action::StopWorkers& a) {
    for (int node = 0; node < m_run.nodes(); ++node) {
      if (node == a.except_node || !m_record.current_host(node)) continue;
      if (auto ok = m_run.control(node).stop(); !ok) spdlog::warn("stopping node {}: {}", node, ok.error().message);
    }
    (void)checked(m_record.end_attempt(a.why, std::nullopt));
  }

  void carry_out(const action::PullCheckpoints&) { pull_checkpoints(m_run); }

  void carry_out(const action::Release& a) {
    records::HostRecord* host = m_record.current_host(a.node);
    if (!host) return;
    if (a.lost) {
      m_record.host_losses.push_back({a.node, host->host.id, a.reason, util::now_iso8601()});
      (void)m_run.journal(records::JournalEvent::host_lost,
                          {{"node", a.node}, {"id", host->host.id}, {"reason", a.reason}});
    }
    m_run.release(*host, a.lost ? "lost: " + a.reason : a.reason, a.lost);
  }

  void carry_out(const action::Launch& a) {
    if (auto refused = launch(m_run, a)) post(std::move(*refused));
  }

  void carry_out(const action::Follow&) { m_follow_pending = true; }

  // Waits in short steps so that Ctrl-C is heard; a wait that ran its course is journaled (the
  // lifecycle adds the waits up against replacement_timeout).
  void carry_out(const action::Wait& a) {
    m_run.out << "choline: " << a.why << "; trying again in " << a.seconds << " s" << std::endl;
    util::Clock& clock = *m_run.seams.clock;
    const auto until = clock.now() + std::chrono::seconds(a.seconds);
    util::ProgressStep step = util::progress().start("waiting for a replacement host");
    while (clock.now() < until) {
      step.update("trying again in " + util::format_duration(util::seconds_between(clock.now(), until)));
      if (m_run.seams.poll_interrupt) {
        if (auto stop = m_run.seams.poll_interrupt()) return post(event::Interrupted{*stop});
      }
      clock.sleep_for(std::chrono::milliseconds(200));
    }
    step.finish("trying again now");
    (void)m_run.journal(records::JournalEvent::replacement_wait, {{"seconds", a.seconds}, {"why", a.why}});
    post(event::WaitOver{a.node});
  }

  void carry_out(const action::Detach&) {
    m_record.state = records::RunState::detached;
    (void)m_run.journal(records::JournalEvent::detached);
    m_run.out << "choline: detached from run " << m_record.id << "; training goes on.\n"
              << "  choline logs -f " << m_record.id << "   follow it\n"
              << "  choline stop " << m_record.id << "      stop it and release its hosts\n";
    m_result = 130;
  }

  void carry_out(const action::Finish& a) { finish(a); }

  // Releases every host still held, records the end, reports.
  void finish(const action::Finish& a) {
    for (auto& host : m_record.hosts) {
      if (host.state != records::HostState::released)
        m_run.release(host, "run " + std::string(to_string(a.state)), false);
    }
    m_record.state = a.state;
    (void)m_run.journal(records::JournalEvent::finished, {{"state", to_string(a.state)}, {"reason", a.reason}});
    const std::string state = to_string(a.state);
    const std::size_t attempts = m_record.attempts.size();
    m_run.out << "choline: run " << m_record.id << " " << state
              << (a.reason.empty() || a.reason == state ? "" : ": " + a.reason) << " (" << attempts << " attempt"
              << (attempts == 1 ? "" : "s") << ", " << static_cast<long>(run_seconds()) << " s)";
    if (!records::newest_local_checkpoint(m_record).empty()) {
      m_run.out << "; checkpoints in " << m_record.checkpoints_dir().string();
    }
    m_run.out << "\n";
    if (a.failed_rank) show_last_lines(*a.failed_rank);
    m_result = command_result(a, m_run.journal_error);
  }

  // How long the run has lived: since its record was created, by the wall clock (a `choline stop`
  // from another terminal reports the run's time, not its own).
  double run_seconds() const {
    const auto created = records::parse_iso8601(m_record.created_at);
    return created ? std::max(0.0, m_run.seams.wall_clock() - *created) : 0.0;
  }

  // The end of a failed rank's log, so the reason is on screen without `choline logs`.
  void show_last_lines(int rank) {
    const auto lines = records::last_lines(m_record.logs_dir() / ("rank-" + std::to_string(rank) + ".log"), 10);
    if (lines.empty()) return;
    m_run.out << "choline: the last lines of rank " << rank << " (choline logs " << m_record.id << " for all):\n";
    for (const auto& line : lines) m_run.out << "  " << line << "\n";
  }

  void post(Event event) { m_events.push_back(std::move(event)); }

  Execution& m_run;
  records::RunRecord& m_record;
  std::deque<Event> m_events;
  bool m_follow_pending = false;
  std::optional<Result<int>> m_result;
};

}  // namespace

Result<int> execute(records::RunRecord& record, Seams& seams, const Event& first,
                    const std::map<std::string, std::string>& job_env, std::ostream& out, bool observer) {
  std::unique_ptr<HostPool> own;
  if (!seams.pool) own = make_own_pool(*seams.provider, seams.open_host);
  Execution run(record, seams, seams.pool ? *seams.pool : *own, job_env, out, observer);
  // Before anything is rented: a data entry that cannot be staged (a missing path, a credential
  // not exported) fails the run here, at no cost. Later (a replacement while re-attached) the
  // first prepare scans them.
  const auto* resumed = std::get_if<event::Resumed>(&first);
  const bool renting = std::holds_alternative<event::Start>(first) || (resumed && !resumed->job_running);
  const bool holds = std::any_of(record.hosts.begin(), record.hosts.end(),
                                 [](const records::HostRecord& h) { return h.state != records::HostState::released; });
  if (renting && !holds && !record.options.data.empty()) {
    if (auto ok = prepare_data_early(run); !ok) {
      record.state = records::RunState::failed;
      (void)run.journal(records::JournalEvent::finished, {{"state", "failed"}, {"reason", ok.error().message}});
      return ok.error();
    }
  }
  return Executor(run).run(first);
}

}  // namespace choline::run
