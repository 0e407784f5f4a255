#include <choline/run/controller.hpp>

#include <choline/agent/supervisor.hpp>
#include <choline/run/host_session.hpp>
#include <choline/run/log_sink.hpp>
#include <choline/run/policy.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/interrupt.hpp>
#include <choline/util/log.hpp>
#include <choline/util/strings.hpp>

#include "providers/provider.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace choline::run {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Patterns that keep half-written checkpoints out of a pull: workers write a temp name and
// rename it (tr.py writes "<name>.tmp").
const std::vector<std::string> k_checkpoint_ignore = {"*.tmp", "*.partial", ".*"};

int pick_master_port() {
  std::random_device random;
  return 20000 + static_cast<int>(random() % 30000);
}

// Everything the controller holds for one run while it drives it.
class Run {
 public:
  Run(RunRecord& record, std::ostream& out) : m_record(record), m_out(out) {}

  Status open_provider() {
    auto provider = providers::make_provider(m_record.options);
    if (!provider) return provider.error();
    m_provider = std::move(*provider);
    return {};
  }

  // Rents every host the spec asks for; each is journaled the moment it exists.
  Status create_hosts() {
    for (int node = static_cast<int>(m_record.hosts.size()); node < m_record.options.spec.nodes; ++node) {
      providers::HostRequest request{m_record.id, node, m_record.options.spec, m_record.options.image,
                                     m_record.options.max_price};
      auto host = m_provider->create(request);
      if (!host) return host.error().with_context("renting node " + std::to_string(node));
      m_record.hosts.push_back(to_record(*host, node));
      if (auto ok = m_record.journal("host_created", {{"node", node}, {"id", host->id}, {"address", host->address}}); !ok) {
        // A paid machine the record cannot mention must not outlive this moment.
        m_record.hosts.pop_back();
        if (auto released = m_provider->release(*host); !released) {
          spdlog::error("could not record or release {} ({}); release it in the provider's console", host->id,
                        released.error().message);
        }
        return ok;
      }
    }
    return {};
  }

  Status open_sessions() {
    m_sessions.clear();
    for (const auto& host : m_record.hosts) {
      m_sessions.push_back(std::make_unique<HostSession>(*m_provider, to_host(host)));
      if (auto ok = m_sessions.back()->connect(); !ok) return ok.error().with_context("connecting to " + host.id);
    }
    return {};
  }

  // Agent, code and setup on every host.
  Status prepare_hosts() {
    for (std::size_t i = 0; i < m_sessions.size(); ++i) {
      auto& session = *m_sessions[i];
      if (auto ok = session.install_agent(); !ok) return ok.error().with_context("installing the agent on " + session.host().id);
      auto pushed = session.push(m_record.project_dir, m_record.options.ignore);
      if (!pushed) return pushed.error().with_context("pushing the project to " + session.host().id);
      spdlog::debug("{}: pushed {} of {} files in {:.2f}s", session.host().id, pushed->files_transferred,
                    pushed->files_total, pushed->seconds);
      for (const auto& error : pushed->errors) spdlog::warn("{}: {}", session.host().id, error);
      if (auto ok = session.run_setup(m_record.options.setup, m_record.options.python, m_out); !ok) return ok;
      // After setup, which may be what installs torch.
      if (util::ends_with(m_record.entry, ".py")) {
        if (auto ok = session.check_python(m_record.options.python); !ok) return ok;
      }
      m_record.hosts[i].state = HostState::ready;
      if (auto ok = m_record.journal("host_ready", {{"node", m_record.hosts[i].node}}); !ok) return ok;
    }
    return {};
  }

  // Starts attempt `number` on every host, resuming from `resume_from` (project-relative).
  Status launch_attempt(int number, const std::string& resume_from, const std::map<std::string, std::string>& env) {
    m_record.master_port = pick_master_port();
    AttemptRecord attempt;
    attempt.number = number;
    attempt.started_at = util::now_iso8601();
    attempt.resume_from = resume_from;
    m_record.attempts.push_back(attempt);
    m_record.state = RunState::running;
    if (auto ok = m_record.journal("attempt_started", {{"attempt", number}, {"resume_from", resume_from}}); !ok) return ok;
    for (std::size_t i = 0; i < m_sessions.size(); ++i) {
      agent::JobSpec job;
      job.run_id = m_record.id;
      job.attempt = number;
      job.max_restarts = m_record.options.max_restarts;
      job.node_rank = static_cast<int>(i);
      job.nodes = static_cast<int>(m_sessions.size());
      job.slots = m_record.hosts[i].slots;
      job.master_addr = m_record.hosts[0].address;
      job.master_port = m_record.master_port;
      job.command = m_record.command;
      job.checkpoint_dir = m_record.options.checkpoint_dir;
      job.resume_from = resume_from;
      job.env = env;
      auto pid = m_sessions[i]->launch(job);
      if (!pid) return pid.error().with_context("launching on " + m_record.hosts[i].id);
      m_record.hosts[i].agent_pid = *pid;
      if (auto ok = m_record.journal("launched", {{"node", i}, {"agent_pid", *pid}}); !ok) return ok;
    }
    return {};
  }

  enum class Watch { ended, detach, stop };

  // Follows every host's logs until the attempt ends everywhere, pulling checkpoints as it
  // goes. On Ctrl-C asks whether to detach or stop (detaches without a terminal, or when
  // `may_stop` is false: `logs -f` only ever stops watching).
  Result<Watch> watch(std::vector<json>& final_states, bool may_stop = true) {
    LogSink sink(m_record.logs_dir(), &m_out, slots());
    return watch(sink, final_states, may_stop);
  }

  Result<Watch> watch(LogSink& sink, std::vector<json>& final_states, bool may_stop) {
    std::atomic<bool> stop_following{false};
    final_states.assign(m_sessions.size(), json{{"status", "unknown"}});
    std::vector<std::optional<Error>> errors(m_sessions.size());
    std::vector<std::thread> followers;
    std::atomic<int> running{static_cast<int>(m_sessions.size())};
    for (std::size_t i = 0; i < m_sessions.size(); ++i) {
      followers.emplace_back([&, i] {
        for (int tries = 0; tries < k_log_reconnect_attempts && !stop_following; ++tries) {
          auto state = m_sessions[i]->follow_logs(sink, true, [&] { return stop_following.load(); });
          if (state) {
            final_states[i] = *state;
            errors[i].reset();
            break;
          }
          errors[i] = state.error();
          if (state.error().kind == ErrorKind::interrupted) break;
          spdlog::warn("{}: log stream lost ({}); reconnecting", m_record.hosts[i].id, state.error().message);
          std::this_thread::sleep_for(std::chrono::seconds(1 << std::min(tries, 3)));
        }
        --running;
      });
    }
    Watch result = Watch::ended;
    auto next_pull = Clock::now() + std::chrono::seconds(k_checkpoint_pull_seconds);
    while (running > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (util::interrupt_requested()) {
        util::clear_interrupt();
        result = may_stop ? ask_detach_or_stop() : Watch::detach;
        stop_following = true;
        break;
      }
      if (Clock::now() >= next_pull) {
        pull_checkpoints();
        next_pull = Clock::now() + std::chrono::seconds(k_checkpoint_pull_seconds);
      }
    }
    for (auto& thread : followers) thread.join();
    sink.flush_partial_lines();
    if (result != Watch::ended) return result;
    for (std::size_t i = 0; i < errors.size(); ++i) {
      if (errors[i]) return errors[i]->with_context("following " + m_record.hosts[i].id);
    }
    return result;
  }

  void pull_checkpoints() {
    if (m_sessions.empty()) return;
    auto pulled = m_sessions[0]->pull(m_record.options.checkpoint_dir, m_record.checkpoints_dir(), k_checkpoint_ignore);
    if (pulled && pulled->files_transferred > 0) {
      spdlog::info("pulled {} checkpoint file(s) into {}", pulled->files_transferred, m_record.checkpoints_dir().string());
    } else if (!pulled && pulled.error().kind != ErrorKind::not_found) {
      spdlog::debug("checkpoint pull: {}", pulled.error().message);
    }
  }

  // The newest pulled checkpoint, as a path relative to the project.
  std::string latest_checkpoint() const {
    std::vector<CheckpointFile> files;
    std::error_code ec;
    for (const auto& item : std::filesystem::recursive_directory_iterator(m_record.checkpoints_dir(), ec)) {
      if (!item.is_regular_file()) continue;
      struct stat st {};
      ::stat(item.path().c_str(), &st);
      files.push_back({item.path().lexically_relative(m_record.checkpoints_dir()).string(),
                       static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec});
    }
    auto newest = newest_checkpoint(files);
    return newest ? m_record.options.checkpoint_dir + "/" + *newest : std::string();
  }

  // Every node needs the checkpoint it resumes from: pushes the pulled checkpoints to nodes
  // from `first_node` on (1 after a restart: node 0 wrote them; 0 for hosts rented anew).
  Status spread_checkpoints(std::size_t first_node) {
    for (std::size_t i = first_node; i < m_sessions.size(); ++i) {
      auto pushed = m_sessions[i]->push_directory(m_record.checkpoints_dir(), m_record.options.checkpoint_dir);
      if (!pushed) return pushed.error();
    }
    return {};
  }

  // Drives attempts until the job succeeds, fails for good, or the user detaches or stops.
  Result<int> drive(const std::map<std::string, std::string>& env) {
    for (;;) {
      std::vector<json> states;
      auto watched = watch(states);
      if (!watched) {
        (void)m_record.journal("follow_failed", {{"error", watched.error().message}});
        return watched.error();
      }
      if (*watched == Watch::detach) {
        m_record.state = RunState::detached;
        (void)m_record.journal("detached");
        m_out << "choline: detached from run " << m_record.id << "; training goes on.\n"
              << "  choline logs -f " << m_record.id << "   follow it\n"
              << "  choline stop " << m_record.id << "      stop it and release its hosts\n";
        return 130;
      }
      if (*watched == Watch::stop) {
        (void)stop_everywhere();
        finish(RunState::stopped, "stopped by the user");
        return 130;
      }
      const AttemptOutcome outcome = record_attempt_end(states);
      AttemptRecord& attempt = m_record.attempts.back();
      const Decision decision = decide_after_attempt(outcome, attempt.number, m_record.options.max_restarts);
      if (!decision.restart) {
        finish(decision.final_state, attempt.outcome);
        return *attempt.exit_code;
      }
      const std::string resume_from = latest_checkpoint();
      m_out << "choline: attempt " << attempt.number << " " << attempt.outcome << "; restarting all workers"
            << (resume_from.empty() ? "" : " from " + resume_from) << " (restart " << attempt.number << " of "
            << m_record.options.max_restarts << ")\n";
      if (!resume_from.empty()) {
        if (auto ok = spread_checkpoints(1); !ok) return ok.error();
      }
      if (auto ok = launch_attempt(attempt.number + 1, resume_from, env); !ok) return ok.error();
    }
  }

  Status stop_everywhere() {
    Status status;
    for (auto& session : m_sessions) {
      if (auto ok = session->stop(); !ok && status) status = ok;
    }
    pull_checkpoints();
    return status;
  }

  // Records the end, releases every host, prints the summary.
  void finish(RunState state, const std::string& outcome) {
    for (auto& host : m_record.hosts) {
      if (host.state == HostState::released) continue;
      if (m_provider) {
        if (auto ok = m_provider->release(to_host(host)); !ok) {
          spdlog::error("could not release {}: {} (it may still be running: check the provider)", host.id, ok.error().message);
          (void)m_record.journal("release_failed", {{"node", host.node}, {"error", ok.error().message}});
          continue;
        }
      }
      host.state = HostState::released;
      (void)m_record.journal("host_released", {{"node", host.node}, {"id", host.id}});
    }
    m_record.state = state;
    (void)m_record.journal("finished", {{"state", to_string(state)}});
    m_out << "choline: run " << m_record.id << " " << to_string(state) << " (" << outcome << ") after "
          << m_record.attempts.size() << " attempt" << (m_record.attempts.size() == 1 ? "" : "s") << " in "
          << seconds_since_start() << "s; checkpoints in " << m_record.checkpoints_dir().string() << "\n";
  }

  // Pulls the last checkpoints and journals how the current attempt ended.
  AttemptOutcome record_attempt_end(const std::vector<json>& states) {
    auto [outcome, codes] = outcome_of(states);
    pull_checkpoints();
    if (m_record.attempts.empty()) m_record.attempts.push_back({});
    AttemptRecord& attempt = m_record.attempts.back();
    attempt.ended_at = util::now_iso8601();
    attempt.exit_code = job_exit_code(outcome, codes);
    attempt.outcome = describe(outcome, states);
    (void)m_record.journal("attempt_ended", {{"attempt", attempt.number}, {"outcome", attempt.outcome}});
    return outcome;
  }

  std::vector<std::unique_ptr<HostSession>>& sessions() { return m_sessions; }

  int slots() const { return m_record.hosts.empty() ? 1 : m_record.hosts[0].slots; }

 private:
  Watch ask_detach_or_stop() {
    if (!::isatty(STDIN_FILENO)) return Watch::detach;
    std::cerr << "\ncholine: detach (training goes on) or stop (stop workers, release hosts)? [d/s] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return !answer.empty() && (answer[0] == 's' || answer[0] == 'S') ? Watch::stop : Watch::detach;
  }

  // The failed rank a host reports and its exit code, if it reports one (a state is already
  // validated when it arrives, but a rank may still be out of range of its exit codes).
  static std::optional<std::pair<std::size_t, std::optional<int>>> failed_rank(const json& state) {
    if (!state.contains("failed_rank") || !state["failed_rank"].is_number()) return std::nullopt;
    const auto rank = state["failed_rank"].get<std::size_t>();
    const auto codes = state.value("exit_codes", json::array());
    if (rank < codes.size() && codes[rank].is_number()) return std::make_pair(rank, std::optional<int>(codes[rank].get<int>()));
    return std::make_pair(rank, std::optional<int>());
  }

  static std::pair<AttemptOutcome, std::vector<int>> outcome_of(const std::vector<json>& states) {
    std::vector<std::string> statuses;
    std::vector<int> codes;
    for (const auto& state : states) {
      statuses.push_back(state.value("status", "unknown"));
      if (auto failed = failed_rank(state); failed && failed->second) codes.push_back(*failed->second);
    }
    return {combine_outcomes(statuses), codes};
  }

  static std::string describe(AttemptOutcome outcome, const std::vector<json>& states) {
    if (outcome == AttemptOutcome::succeeded) return "succeeded";
    if (outcome == AttemptOutcome::stopped) return "stopped";
    for (const auto& state : states) {
      if (state.value("status", "") != "failed") continue;
      if (auto failed = failed_rank(state)) {
        return "failed: rank " + std::to_string(failed->first) + " exited " +
               (failed->second ? std::to_string(*failed->second) : std::string("?"));
      }
    }
    return "failed";
  }

  long seconds_since_start() const {
    return std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - m_started).count();
  }

  RunRecord& m_record;
  std::ostream& m_out;
  std::unique_ptr<providers::Provider> m_provider;
  std::vector<std::unique_ptr<HostSession>> m_sessions;
  Clock::time_point m_started = Clock::now();
};

std::map<std::string, std::string> secrets_registered(const std::map<std::string, std::string>& env) {
  for (const auto& [key, value] : env) util::register_secret(value);
  return env;
}

}  // namespace

Result<int> train(const TrainRequest& request, std::ostream& out) {
  RunRecord record;
  record.id = new_run_id(request.job.entry.empty() ? request.job.argv.front() : request.job.entry);
  record.project_dir = std::filesystem::absolute(request.project_dir).lexically_normal().string();
  record.created_at = util::now_iso8601();
  record.command = request.job.argv;
  record.entry = request.job.entry;
  record.options = request.options;
  auto created = create_run(request.project_dir, std::move(record));
  if (!created) return created.error();
  RunRecord& run = *created;
  const auto env = secrets_registered(request.forwarded_env);
  spdlog::info("run {}: {} on {}", run.id, run.options.spec.describe(), run.options.provider);

  Run driver(run, out);
  auto fail = [&](const Error& error) -> Result<int> {
    (void)run.journal("failed_to_start", {{"error", error.message}});
    // Ctrl-C while renting or preparing: the hosts go back and the run reads stopped.
    driver.finish(error.kind == ErrorKind::interrupted ? RunState::stopped : RunState::failed, error.message);
    return error;
  };
  if (auto ok = driver.open_provider(); !ok) return fail(ok.error());
  if (auto ok = driver.create_hosts(); !ok) return fail(ok.error());
  if (auto ok = driver.open_sessions(); !ok) return fail(ok.error());
  if (auto ok = driver.prepare_hosts(); !ok) return fail(ok.error());
  if (auto ok = driver.launch_attempt(1, "", env); !ok) return fail(ok.error());
  return driver.drive(env);
}

Result<int> resume(RunRecord& record, const std::map<std::string, std::string>& forwarded_env, std::ostream& out) {
  if (record.state == RunState::succeeded) {
    out << "choline: run " << record.id << " already succeeded; nothing to resume\n";
    return 0;
  }
  const auto env = secrets_registered(forwarded_env);
  Run driver(record, out);
  if (auto ok = driver.open_provider(); !ok) return ok.error();
  // Released hosts are gone: rent new ones for their nodes.
  const bool hosts_released = std::any_of(record.hosts.begin(), record.hosts.end(),
                                          [](const HostRecord& h) { return h.state == HostState::released; });
  if (hosts_released || record.hosts.empty()) {
    record.hosts.clear();
    if (auto ok = driver.create_hosts(); !ok) return ok.error();
  }
  if (auto ok = driver.open_sessions(); !ok) return ok.error();
  bool job_running = false;
  for (auto& session : driver.sessions()) {
    auto state = session->state();
    if (state && !agent::state_is_final(*state)) job_running = true;
  }
  if (job_running) {
    out << "choline: re-attached to run " << record.id << "\n";
    record.state = RunState::running;
    (void)record.journal("reattached");
    return driver.drive(env);
  }
  if (auto ok = driver.prepare_hosts(); !ok) return ok.error();
  const std::string resume_from = driver.latest_checkpoint();
  if (!resume_from.empty()) {
    if (auto ok = driver.spread_checkpoints(0); !ok) return ok.error();
  }
  const int next = record.attempts.empty() ? 1 : record.attempts.back().number + 1;
  out << "choline: resuming run " << record.id << " as attempt " << next
      << (resume_from.empty() ? " from the start" : " from " + resume_from) << "\n";
  if (auto ok = driver.launch_attempt(next, resume_from, env); !ok) return ok.error();
  return driver.drive(env);
}

Result<int> show_logs(RunRecord& record, bool follow, std::ostream& out) {
  Run driver(record, out);
  LogSink sink(record.logs_dir(), &out, driver.slots());
  sink.echo_held();  // what is already here, with the same prefixes as live lines
  if (!follow || is_final(record.state)) {
    sink.flush_partial_lines();
    return 0;
  }
  if (auto ok = driver.open_provider(); !ok) return ok.error();
  if (auto ok = driver.open_sessions(); !ok) return ok.error();
  std::vector<json> states;
  auto watched = driver.watch(sink, states, /*may_stop=*/false);
  if (!watched) return watched.error();
  if (*watched != Run::Watch::ended) return 130;
  // Nobody else is watching this run: record how it ended and give the hosts back. A failure
  // is not retried here; choline resume does that.
  const AttemptOutcome outcome = driver.record_attempt_end(states);
  const AttemptRecord& attempt = record.attempts.back();
  driver.finish(final_state_of(outcome), attempt.outcome);
  return attempt.exit_code.value_or(1);
}

Result<int> stop(RunRecord& record, std::ostream& out) {
  if (is_final(record.state)) {
    out << "choline: run " << record.id << " already " << to_string(record.state) << "\n";
    return 0;
  }
  Run driver(record, out);
  if (auto ok = driver.open_provider(); !ok) return ok.error();
  if (auto ok = driver.open_sessions(); !ok) {
    spdlog::warn("{}; releasing the hosts anyway", ok.error().message);
  } else {
    (void)driver.stop_everywhere();
  }
  driver.finish(RunState::stopped, "stopped by choline stop");
  return 0;
}

}  // namespace choline::run
