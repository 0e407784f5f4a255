#include <choline/run/controller.hpp>

#include <choline/run/checkpoint_index.hpp>
#include <choline/run/cost.hpp>
#include <choline/run/metrics.hpp>
#include <choline/run/model_card_files.hpp>
#include <choline/run/provenance.hpp>
#include <choline/run/run_files.hpp>
#include <choline/run/watch.hpp>
#include <choline/util/interrupt.hpp>
#include <choline/util/progress.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <iostream>
#include <random>
#include <unistd.h>

namespace choline::run {

namespace {

using nlohmann::json;

// Patterns that keep half-written checkpoints out of a pull: workers write a temp name and
// rename it (tr.py writes "<name>.tmp"). Model cards are the laptop's own account of what came
// home (model_card_files.hpp): a host never gets to send one.
const std::vector<std::string> k_checkpoint_ignore = {"*.tmp", "*.partial", ".*", "*.card.json"};

// How long stopping a run takes (stop workers, pull checkpoints, release), for --max-cost.
constexpr double k_stop_margin_s = 60;

// Below Linux's ephemeral range (32768-60999 by default), where any outgoing connection on
// node 0 may hold the port we pick.
int pick_master_port() {
  std::random_device random;
  return 20000 + static_cast<int>(random() % 12000);
}

// A port node 0 could not bind (another run or program holds it) is worth another pick.
bool port_was_taken(const Error& error) { return error.message.find("Address already in use") != std::string::npos; }

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

class Executor {
 public:
  Executor(RunRecord& record, Seams& seams, const std::map<std::string, std::string>& job_env, std::ostream& out,
           bool observer)
      : m_record(record), m_seams(seams), m_job_env(job_env), m_out(out), m_observer(observer),
        m_started(seams.clock->now()) {}

  Result<int> run(const Event& first) {
    m_events.push_back(first);
    while (!m_result) {
      if (m_events.empty()) {
        if (!m_follow_pending) {
          spdlog::error("run {}: the lifecycle has nothing left to do", m_record.id);
          finish({RunState::failed, "internal error: the run stalled", 1, make_error(ErrorKind::internal, "the run stalled")});
          break;
        }
        // Following blocks until something happens, so it waits for every queued event first.
        m_follow_pending = false;
        m_events.push_back(follow());
      }
      const Event event = m_events.front();
      m_events.pop_front();
      observe(event);
      Actions actions = decide(snapshot_of(m_record, m_observer), event);
      // Nodes that came up together are prepared together (see carry_out_all).
      while (std::holds_alternative<event::Provisioned>(event) && !m_events.empty() &&
             std::holds_alternative<event::Provisioned>(m_events.front())) {
        const Event next = m_events.front();
        m_events.pop_front();
        for (auto& action : decide(snapshot_of(m_record, m_observer), next)) actions.push_back(std::move(action));
      }
      carry_out_all(actions);
    }
    return *m_result;
  }

 private:
  // ---- Observations worth recording before deciding ----

  void observe(const Event& event) {
    if (const auto* ended = std::get_if<event::AttemptEnded>(&event)) {
      end_attempt(ended->result.description, ended->result.exit_code);
    } else if (const auto* lost = std::get_if<event::HostLost>(&event)) {
      spdlog::warn("node {} lost: {}", lost->node, lost->reason);
    }
  }

  void end_attempt(const std::string& outcome, std::optional<int> exit_code) {
    if (m_record.attempts.empty() || !m_record.attempts.back().ended_at.empty()) return;
    AttemptRecord& attempt = m_record.attempts.back();
    attempt.ended_at = util::now_iso8601();
    attempt.exit_code = exit_code;
    attempt.outcome = outcome;
    checked(m_record.journal("attempt_ended", {{"attempt", attempt.number}, {"outcome", outcome}}));
  }

  // A journal write that failed: the run goes on only as far as releasing what it holds.
  void checked(const Status& status) {
    if (status) return;
    spdlog::error("cannot write {}: {}", m_record.file().string(), status.error().message);
    if (!m_journal_error) m_journal_error = status.error();
  }

  // ---- Actions ----

  // ---- Renting and preparing nodes, in parallel ----

  // Runs the actions in order; consecutive Creates (or Prepares) run in parallel, since each
  // waits on a provider or a network for seconds to minutes. Their outcomes are posted in node
  // order once all are done.
  void carry_out_all(const Actions& actions) {
    m_rest_cancelled = false;
    for (std::size_t i = 0; i < actions.size() && !m_result && !m_rest_cancelled;) {
      std::vector<int> creates, prepares;
      while (i < actions.size() && std::holds_alternative<action::Create>(actions[i])) {
        creates.push_back(std::get<action::Create>(actions[i++]).node);
      }
      while (creates.empty() && i < actions.size() && std::holds_alternative<action::Prepare>(actions[i])) {
        prepares.push_back(std::get<action::Prepare>(actions[i++]).node);
      }
      if (!creates.empty()) {
        // Creates go one after another (in node order: two parallel launches must not buy one
        // offer, and a create returns in a second); the waits for the hosts to boot overlap.
        std::vector<int> booting;
        std::map<int, providers::Host> hosts;
        for (int node : creates) {
          auto rented = rent(node);
          if (auto* failed = std::get_if<Event>(&rented)) {
            post(std::move(*failed));
            continue;
          }
          hosts[node] = std::get<providers::Host>(rented);
          booting.push_back(node);
        }
        for (auto& outcome : wait_until_up(booting, hosts)) post(std::move(outcome));
      } else if (!prepares.empty()) {
        for (int node : prepares) control(node);  // opened here: m_hosts is not shared with the workers
        in_parallel(prepares, "Prepare", [this](int node) { return prepare(node); });
      } else {
        spdlog::debug("run {}: {}", m_record.id, describe(actions[i]));
        std::visit([this](const auto& a) { carry_out(a); }, actions[i]);
        ++i;
      }
    }
  }

  void in_parallel(const std::vector<int>& nodes, const char* what, const std::function<Event(int)>& work) {
    auto outcomes = run_in_parallel(nodes, what, work);
    // Several nodes ready at once are one Prepared: each would find every node ready and ask
    // for the same launch.
    const bool all_prepared = std::all_of(outcomes.begin(), outcomes.end(),
                                          [](const Event& e) { return std::holds_alternative<event::Prepared>(e); });
    if (all_prepared && outcomes.size() > 1) outcomes.erase(outcomes.begin(), outcomes.end() - 1);
    for (auto& outcome : outcomes) post(std::move(outcome));
  }

  std::vector<Event> run_in_parallel(const std::vector<int>& nodes, const char* what, const std::function<Event(int)>& work) {
    for (int node : nodes) spdlog::debug("run {}: {}({})", m_record.id, what, node);
    std::vector<std::optional<Event>> outcomes(nodes.size());
    if (nodes.size() == 1) {
      outcomes[0] = work(nodes[0]);
    } else {
      std::vector<std::thread> workers;
      for (std::size_t k = 0; k < nodes.size(); ++k) workers.emplace_back([&, k] { outcomes[k] = work(nodes[k]); });
      for (auto& worker : workers) worker.join();
    }
    std::vector<Event> events;
    for (auto& outcome : outcomes) events.push_back(std::move(*outcome));
    return events;
  }

  void carry_out(const action::Create& a) {
    auto rented = rent(a.node);
    if (auto* failed = std::get_if<Event>(&rented)) return post(std::move(*failed));
    for (auto& outcome : wait_until_up({a.node}, {{a.node, std::get<providers::Host>(rented)}})) post(std::move(outcome));
  }
  void carry_out(const action::Prepare& a) {
    control(a.node);  // prepare() runs on opened hosts (m_hosts is not shared with its workers)
    post(prepare(a.node));
  }

  // Rents a host for the node and journals it before anything else. The event on failure.
  std::variant<providers::Host, Event> rent(int node) {
    providers::HostRequest request{m_record.id, node, m_record.options.spec, m_record.options.image,
                                   m_record.options.max_price, excluded_machines(node)};
    request.replacement = static_cast<int>(
        std::count_if(m_record.hosts.begin(), m_record.hosts.end(), [&](const HostRecord& h) { return h.node == node; }));
    auto host = m_seams.provider->create(request);
    if (!host) {
      std::lock_guard lock(m_record_mutex);
      checked(m_record.journal("provision_failed", {{"node", node}, {"error", host.error().message}}));
      return Event{event::ProvisionFailed{node, host.error()}};
    }
    {
      std::lock_guard lock(m_record_mutex);
      HostRecord record;
      record.node = node;
      record.host = *host;
      m_record.hosts.push_back(record);
      if (auto ok = m_record.journal("host_created", {{"node", node}, {"id", host->id}, {"address", host->address},
                                                      {"label", host->access.value("label", "")}});
          !ok) {
        // A paid machine the record cannot mention must not outlive this moment.
        m_record.hosts.pop_back();
        if (auto released = m_seams.provider->release(*host); !released) {
          spdlog::error("could not record or release {} ({}); release it in the provider's console", host->id,
                        released.error().message);
        }
        return Event{event::ProvisionFailed{node, ok.error()}};
      }
    }
    return *host;
  }

  // Polls the provider until each host is up, then journals where it is; all the nodes in one
  // loop on this thread, so the hosts boot in parallel and only the provider is waited on.
  // Returns one event per node, in node order.
  std::vector<Event> wait_until_up(const std::vector<int>& nodes, const std::map<int, providers::Host>& hosts) {
    for (int node : nodes) spdlog::debug("run {}: Create({})", m_record.id, node);
    const auto deadline = m_seams.clock->now() + m_seams.provision_timeout;
    auto poll_every = std::chrono::duration_cast<util::Clock::Duration>(std::chrono::milliseconds(250));
    std::map<int, Event> outcomes;
    for (;;) {
      for (int node : nodes) {
        if (outcomes.count(node)) continue;
        const providers::Host& host = hosts.at(node);
        auto status = m_seams.provider->status(host);
        if (status && *status == providers::HostStatus::ready) {
          outcomes.emplace(node, came_up(node, host));
        } else if (status && *status == providers::HostStatus::gone) {
          outcomes.emplace(node, event::HostLost{node, "the provider reports it gone"});
        } else if (!status) {
          spdlog::debug("{}: status: {}", host.id, status.error().message);
        }
      }
      if (outcomes.size() == nodes.size()) break;
      for (int node : nodes) {
        if (outcomes.count(node)) continue;
        if (util::interrupt_requested()) {
          outcomes.emplace(node, event::ProvisionFailed{node, make_error(ErrorKind::interrupted, "interrupted")});
        } else if (m_seams.clock->now() >= deadline) {
          outcomes.emplace(node, event::HostLost{node, "it did not come up in time"});
        }
      }
      if (outcomes.size() == nodes.size()) break;
      m_seams.clock->sleep_for(poll_every);
      // Quick at first (a host often boots in seconds), then at most once a second per host.
      poll_every = std::min<util::Clock::Duration>(poll_every * 6 / 5, std::chrono::seconds(1));
    }
    std::vector<Event> events;
    for (int node : nodes) events.push_back(outcomes.at(node));
    return events;
  }

  // REST providers learn the address only once the host is up: journaled.
  Event came_up(int node, const providers::Host& host) {
    const providers::Host up = m_seams.provider->located(host);
    if (up.address != host.address || up.access != host.access) {
      std::lock_guard lock(m_record_mutex);
      if (HostRecord* record = m_record.current_host(node); record && record->host.id == up.id) {
        record->host = up;
        checked(m_record.journal("host_up", {{"node", node}, {"id", up.id}, {"address", up.address}}));
      }
    }
    return event::Provisioned{node};
  }

  Event prepare(int node) {
    HostControl& host = *m_hosts.at(node);
    const auto fail = [&](const Error& error) -> Event { return event::PrepareFailed{node, error.with_context(host.host().id)}; };
    if (auto ok = host.install_agent(); !ok) return fail(ok.error().with_context("installing the agent"));
    auto pushed = host.push(m_record.project_dir, m_record.options.ignore);
    if (!pushed) return fail(pushed.error().with_context("pushing the project"));
    spdlog::debug("{}: pushed {} of {} files in {:.2f}s", host.host().id, pushed->files_transferred, pushed->files_total,
                  pushed->seconds);
    for (const auto& error : pushed->errors) spdlog::warn("{}: {}", host.host().id, error);
    // The code and data as node 0 (whose checkpoints come home) has them, for model cards.
    if (node == 0) record_provenance(m_record);
    if (auto ok = host.run_setup(m_record.options.setup, m_record.options.python, m_out); !ok) {
      return event::PrepareFailed{node, ok.error()};
    }
    // After setup, which may be what installs torch.
    if (util::ends_with(m_record.entry, ".py")) {
      if (auto ok = check_python(host); !ok) return event::PrepareFailed{node, ok.error()};
    }
    std::lock_guard lock(m_record_mutex);
    HostRecord* record = m_record.current_host(node);
    record->state = HostState::ready;
    if (auto ok = m_record.journal("host_ready", {{"node", node}}); !ok) return fail(ok.error());
    return event::Prepared{node};
  }

  // The run's interpreter must have torch. On this machine a missing torch is often just the
  // wrong python3 first on PATH: another that has it is used instead, and said so.
  // Nodes are prepared in parallel: the record is read and changed under its lock.
  Status check_python(HostControl& host) {
    const std::string python = [&] {
      std::lock_guard lock(m_record_mutex);
      return m_record.options.python;
    }();
    auto ok = host.check_python(python);
    if (ok || ok.error().kind != ErrorKind::usage || !m_seams.provider->shares_this_machine()) return ok;
    for (const auto& candidate : fallback_interpreters(python)) {
      if (!host.check_python(candidate)) continue;
      std::lock_guard lock(m_record_mutex);
      if (m_record.options.python != python) return {};  // another node chose already
      spdlog::info("'{}' has no torch; using {}, which has (set \"python\" in choline.json or CHOLINE_PYTHON to choose)",
                   m_record.options.python, candidate);
      if (!m_record.command.empty() && m_record.command[0] == m_record.options.python) m_record.command[0] = candidate;
      m_record.options.python = candidate;
      return m_record.journal("interpreter_chosen", {{"python", candidate}});
    }
    return ok;
  }

  void carry_out(const action::StopWorkers& a) {
    for (int node = 0; node < nodes(); ++node) {
      if (node == a.except_node || !m_record.current_host(node)) continue;
      if (auto ok = control(node).stop(); !ok) spdlog::warn("stopping node {}: {}", node, ok.error().message);
    }
    end_attempt(a.why, std::nullopt);
  }

  void carry_out(const action::PullCheckpoints&) { pull_checkpoints(); }

  void carry_out(const action::Release& a) {
    HostRecord* record = m_record.current_host(a.node);
    if (!record) return;
    if (a.lost) {
      m_record.host_losses.push_back({a.node, record->host.id, a.reason, util::now_iso8601()});
      checked(m_record.journal("host_lost", {{"node", a.node}, {"id", record->host.id}, {"reason", a.reason}}));
    }
    m_hosts.erase(a.node);
    release(*record, a.lost ? "lost: " + a.reason : a.reason);
  }

  void carry_out(const action::Launch& a) {
    const std::string resume_from = checkpoint_to_resume(m_record);
    if (a.restart) {
      ++m_record.restarts;
      m_out << "choline: restarting all workers" << (resume_from.empty() ? "" : " from " + resume_from) << " (restart "
            << m_record.restarts << " of " << m_record.options.max_restarts << ")\n";
    }
    if (!resume_from.empty()) {
      for (int node : a.spread_to) {
        auto pushed = control(node).push_directory(m_record.checkpoints_dir(), m_record.options.checkpoint_dir);
        if (!pushed) return post(event::LaunchFailed{node, pushed.error().with_context("pushing checkpoints")});
      }
    }
    m_record.master_port = pick_master_port();
    if (auto refused = preflight_reachability()) return post(std::move(*refused));
    AttemptRecord attempt;
    attempt.number = a.attempt;
    attempt.started_at = util::now_iso8601();
    attempt.resume_from = resume_from;
    m_record.attempts.push_back(attempt);
    m_record.state = RunState::running;
    if (auto ok = m_record.journal("attempt_started", {{"attempt", a.attempt}, {"resume_from", resume_from}}); !ok) {
      return post(event::LaunchFailed{0, ok.error()});
    }
    // Every node's supervisor starts at once (each launch is an SSH round trip or more); the
    // pids are journaled in node order.
    std::vector<agent::JobSpec> jobs;
    for (int node = 0; node < nodes(); ++node) {
      HostRecord& record = *m_record.current_host(node);
      agent::JobSpec job;
      job.run_id = m_record.id;
      job.attempt = a.attempt;
      job.max_restarts = m_record.options.max_restarts;
      job.node_rank = node;
      job.nodes = nodes();
      job.slots = record.host.slots;
      job.master_addr = m_record.current_host(0)->host.address;
      job.master_port = m_record.master_port;
      job.command = m_record.command;
      job.checkpoint_dir = m_record.options.checkpoint_dir;
      job.resume_from = resume_from;
      job.env = m_job_env;
      // choline.json's "sync" for the C++ runtime; a CHOLINE_SYNC forwarded through "env" wins.
      if (!m_record.options.sync.empty()) job.env.try_emplace("CHOLINE_SYNC", m_record.options.sync);
      if (record.agent_pid == 0) {
        // This host's first attempt: its rank logs start at 0 where ours already hold bytes.
        const auto held = sink().offsets();
        for (int local = 0; local < job.slots; ++local) {
          const int rank = node * job.slots + local;
          record.log_base[rank] = held.count(rank) ? held.at(rank) : 0;
        }
      }
      jobs.push_back(job);
      control(node);
    }
    std::vector<std::optional<Result<std::int64_t>>> pids(jobs.size());
    {
      std::vector<std::thread> launchers;
      for (std::size_t k = 0; k < jobs.size(); ++k) {
        launchers.emplace_back([&, k] { pids[k] = m_hosts.at(static_cast<int>(k))->launch(jobs[k]); });
      }
      for (auto& launcher : launchers) launcher.join();
    }
    for (int node = 0; node < nodes(); ++node) {
      HostRecord& record = *m_record.current_host(node);
      const auto& pid = *pids[static_cast<std::size_t>(node)];
      if (!pid) return post(event::LaunchFailed{node, pid.error().with_context("launching on " + record.host.id)});
      record.agent_pid = *pid;
      if (auto ok = m_record.journal("launched", {{"node", node}, {"agent_pid", *pid}}); !ok) {
        return post(event::LaunchFailed{node, ok.error()});
      }
    }
  }

  // Multi-node: node 0 listens on the master port and a second one, every other node connects.
  // Hosts that cannot reach each other (P2P hosts behind NAT) fail here in seconds, with what to
  // do, instead of in a collective's 30-minute timeout.
  std::optional<Event> preflight_reachability() {
    if (nodes() < 2) return std::nullopt;
    std::vector<int> ports;
    Result<std::unique_ptr<transport::Stream>> listener = std::unique_ptr<transport::Stream>{};
    for (int pick = 0;; ++pick) {
      int second = pick_master_port();
      while (second == m_record.master_port) second = pick_master_port();
      ports = {m_record.master_port, second};
      listener = control(0).listen_for_probes(ports);
      if (listener || !port_was_taken(listener.error()) || pick == 4) break;
      m_record.master_port = pick_master_port();  // the job gets the port that was listened on
    }
    if (!listener) return event::LaunchFailed{0, listener.error().with_context("multi-node preflight")};
    if (!*listener) return std::nullopt;  // this kind of host takes no part
    spdlog::debug("multi-node preflight: node 0 listens on ports {} and {}", ports[0], ports[1]);
    const std::string master = m_record.current_host(0)->host.address;
    std::vector<int> others;
    for (int node = 1; node < nodes(); ++node) {
      control(node);  // opened here: m_hosts is not shared with the probes
      others.push_back(node);
    }
    std::vector<std::optional<Result<std::vector<int>>>> missed(others.size());
    {
      std::vector<std::thread> probes;
      for (std::size_t k = 0; k < others.size(); ++k) {
        probes.emplace_back([&, k] { missed[k] = m_hosts.at(others[k])->unreachable(master, ports); });
      }
      for (auto& probe : probes) probe.join();
    }
    (*listener)->close_write();
    (void)(*listener)->wait();
    for (std::size_t k = 0; k < others.size(); ++k) {
      const auto& result = *missed[k];
      if (!result) return event::LaunchFailed{others[k], result.error().with_context("multi-node preflight")};
      if (result->empty()) continue;
      std::vector<std::string> which;
      for (int port : *result) which.push_back(std::to_string(port));
      return event::LaunchFailed{
          others[k],
          make_error(ErrorKind::unsupported,
                     "node " + std::to_string(others[k]) + " cannot reach node 0 at " + master + " on port(s) " +
                         util::join(which, ", ") +
                         ": torch.distributed needs every node to reach node 0 on arbitrary ports, which marketplace "
                         "hosts behind NAT usually do not allow. Run on one host with all the GPUs instead (e.g. --1x8... "
                         "rather than --nodes), or use offers in one datacenter (Lambda, RunPod secure cloud)")};
    }
    return std::nullopt;
  }

  void carry_out(const action::Follow&) { m_follow_pending = true; }

  // Waits in short steps so that Ctrl-C is heard; every wait is journaled (the lifecycle adds
  // them up against replacement_timeout).
  void carry_out(const action::Wait& a) {
    m_out << "choline: " << a.why << "; trying again in " << a.seconds << " s" << std::endl;
    const auto until = m_seams.clock->now() + std::chrono::seconds(a.seconds);
    util::ProgressStep step = util::progress().start("waiting for a replacement host");
    while (m_seams.clock->now() < until) {
      step.update("trying again in " + util::format_duration(util::seconds_between(m_seams.clock->now(), until)));
      if (m_seams.poll_interrupt) {
        if (auto stop = m_seams.poll_interrupt()) {
          m_rest_cancelled = true;  // the Create planned after the wait waits for the answer
          return post(event::Interrupted{*stop});
        }
      }
      m_seams.clock->sleep_for(std::chrono::milliseconds(200));
    }
    step.finish("trying again now");
    std::lock_guard lock(m_record_mutex);
    checked(m_record.journal("replacement_wait", {{"seconds", a.seconds}, {"why", a.why}}));
  }

  void carry_out(const action::Detach&) {
    m_record.state = RunState::detached;
    checked(m_record.journal("detached"));
    m_out << "choline: detached from run " << m_record.id << "; training goes on.\n"
          << "  choline logs -f " << m_record.id << "   follow it\n"
          << "  choline stop " << m_record.id << "      stop it and release its hosts\n";
    m_result = 130;
  }

  void carry_out(const action::Finish& a) { finish(a); }

  // ---- Helpers ----

  void post(Event event) { m_events.push_back(std::move(event)); }

  int nodes() const { return std::max(1, m_record.options.spec.nodes); }

  // Machines a new host for `node` must not be: those this run lost, and those serving its
  // other nodes.
  std::vector<std::string> excluded_machines(int node) const {
    std::lock_guard lock(m_record_mutex);
    std::vector<std::string> ids;
    for (const auto& loss : m_record.host_losses) ids.push_back(machine_of(loss.host_id));
    for (int other = 0; other < nodes(); ++other) {
      if (const HostRecord* host = m_record.current_host(other); host && other != node) ids.push_back(machine_of(host->host.id));
    }
    return ids;
  }

  // Marketplaces rent instances on machines: what must not be rented again is the machine.
  std::string machine_of(const std::string& host_id) const {
    for (const auto& host : m_record.hosts) {
      if (host.host.id == host_id) return host.host.access.value("machine", host_id);
    }
    return host_id;
  }

  HostControl& control(int node) {
    auto& slot = m_hosts[node];
    if (!slot) slot = m_seams.open_host(m_record.current_host(node)->host);
    return *slot;
  }

  Event follow() {
    std::vector<WatchedHost> hosts;
    for (int node = 0; node < nodes(); ++node) {
      if (const HostRecord* host = m_record.current_host(node)) hosts.push_back({node, &control(node), host->log_base});
    }
    WatchSettings settings;
    settings.clock = m_seams.clock;
    settings.poll_every = m_seams.poll_every;
    settings.pull_every = m_seams.checkpoint_pull_every;
    settings.reconnect_attempts = k_log_reconnect_attempts;
    settings.host_timeout_s = m_record.options.host_timeout_s;
    settings.poll_interrupt = m_seams.poll_interrupt;
    settings.pull_checkpoints = [this] { pull_checkpoints(); };
    if (m_record.options.max_cost) settings.cost_limit_reached = [this] { return over_budget(); };
    settings.dead_host = [this]() -> std::optional<int> {
      for (int node = 0; node < nodes(); ++node) {
        const HostRecord* host = m_record.current_host(node);
        if (!host) continue;
        auto status = m_seams.provider->status(host->host);
        if (status && *status == providers::HostStatus::gone) return node;
      }
      return std::nullopt;
    };
    return watch_hosts(hosts, sink(), settings);
  }

  // The money spent, once what is spent plus the hosts' price over the time a stop takes
  // (pulling checkpoints, releasing) would pass --max-cost.
  std::optional<double> over_budget() const {
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::lock_guard lock(m_record_mutex);
    const RunCost cost = cost_of(m_record, now);
    if (cost.spent + cost.per_hour * k_stop_margin_s / 3600.0 < *m_record.options.max_cost) return std::nullopt;
    return cost.spent;
  }

  void pull_checkpoints() {
    if (!m_record.current_host(0)) return;
    auto pulled = control(0).pull(m_record.options.checkpoint_dir, m_record.checkpoints_dir(), k_checkpoint_ignore);
    if (pulled && pulled->files_transferred > 0) {
      spdlog::info("pulled {} checkpoint file(s) into {}", pulled->files_transferred, m_record.checkpoints_dir().string());
      if (auto ok = record_checkpoints(m_record); !ok) spdlog::warn("checkpoints: {}", ok.error().message);
    } else if (!pulled) {
      spdlog::debug("checkpoint pull: {}", pulled.error().message);
    }
    // Also after a pull that brought nothing: a card's metrics may have arrived since.
    if (pulled) write_model_cards(m_record);
  }

  std::string latest_checkpoint() const { return newest_local_checkpoint(m_record); }

  void release(HostRecord& host, const std::string& why) {
    if (auto ok = m_seams.provider->release(host.host); !ok) {
      spdlog::error("could not release {}: {} (it may still be running: check the provider, or run choline stop {})",
                    host.host.id, ok.error().message, m_record.id);
      checked(m_record.journal("release_failed", {{"node", host.node}, {"id", host.host.id}, {"error", ok.error().message}}));
      return;
    }
    host.state = HostState::released;
    host.released_because = why;
    checked(m_record.journal("host_released", {{"node", host.node}, {"id", host.host.id}}));
  }

  // Releases every host still held, records the end, reports.
  void finish(const action::Finish& a) {
    for (auto& host : m_record.hosts) {
      if (host.state != HostState::released) release(host, "run " + std::string(to_string(a.state)));
    }
    m_hosts.clear();
    m_record.state = a.state;
    checked(m_record.journal("finished", {{"state", to_string(a.state)}, {"reason", a.reason}}));
    const std::string state = to_string(a.state);
    const auto seconds = static_cast<long>(util::seconds_between(m_started, m_seams.clock->now()));
    const std::size_t attempts = m_record.attempts.size();
    m_out << "choline: run " << m_record.id << " " << state << (a.reason.empty() || a.reason == state ? "" : ": " + a.reason)
          << " (" << attempts << " attempt" << (attempts == 1 ? "" : "s") << ", " << seconds << " s)";
    if (!latest_checkpoint().empty()) m_out << "; checkpoints in " << m_record.checkpoints_dir().string();
    m_out << "\n";
    if (a.failed_rank) show_last_lines(*a.failed_rank);
    if (a.error) {
      m_result = *a.error;
    } else if (m_journal_error) {
      m_result = *m_journal_error;
    } else {
      m_result = a.exit_code;
    }
  }

  // The end of a failed rank's log, so the reason is on screen without `choline logs`.
  void show_last_lines(int rank) {
    const auto lines = last_lines(m_record.logs_dir() / ("rank-" + std::to_string(rank) + ".log"), 10);
    if (lines.empty()) return;
    m_out << "choline: the last lines of rank " << rank << " (choline logs " << m_record.id << " for all):\n";
    for (const auto& line : lines) m_out << "  " << line << "\n";
  }

  // The run's log sink, picking metrics lines out as they stream by.
  LogSink& sink() {
    LogSink* sink = m_seams.sink;
    if (!sink) {
      if (!m_sink) {
        const HostRecord* node0 = m_record.current_host(0);
        m_sink = std::make_unique<LogSink>(m_record.logs_dir(), &m_out, node0 ? node0->host.slots : 1);
        m_sink->set_color(m_seams.color_logs);
      }
      sink = m_sink.get();
    }
    if (!m_metrics) {
      const int attempt = m_record.attempts.empty() ? 1 : m_record.attempts.back().number;
      m_metrics = std::make_unique<MetricsCollector>(m_record.metrics_file(), attempt);
      sink->set_line_hook([this](int rank, std::string_view line) { m_metrics->on_line(rank, line); });
    }
    return *sink;
  }

  RunRecord& m_record;
  Seams& m_seams;
  const std::map<std::string, std::string>& m_job_env;
  std::ostream& m_out;
  bool m_observer;
  util::Clock::TimePoint m_started;
  std::deque<Event> m_events;
  bool m_follow_pending = false;
  bool m_rest_cancelled = false;  // Ctrl-C during a Wait: the batch's remaining actions are dropped
  std::map<int, std::unique_ptr<HostControl>> m_hosts;
  std::unique_ptr<LogSink> m_sink;
  std::unique_ptr<MetricsCollector> m_metrics;
  std::optional<Error> m_journal_error;
  std::optional<Result<int>> m_result;
  mutable std::mutex m_record_mutex;  // nodes are rented and prepared in parallel
};

}  // namespace

Seams make_seams(providers::Provider& provider, bool may_stop) {
  Seams seams;
  seams.provider = &provider;
  seams.open_host = session_opener(provider);
  seams.color_logs = util::colors_wanted(STDOUT_FILENO);
  if (const char* timeout = std::getenv("CHOLINE_PROVISION_TIMEOUT_S"); timeout && std::atoi(timeout) > 0) {
    seams.provision_timeout = std::chrono::seconds(std::atoi(timeout));
  }
  seams.poll_interrupt = [may_stop]() -> std::optional<bool> {
    if (!util::interrupt_requested()) return std::nullopt;
    util::clear_interrupt();
    if (!may_stop || !::isatty(STDIN_FILENO)) return false;
    std::cerr << "\ncholine: detach (training goes on) or stop (stop workers, release hosts)? [d/s] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return !answer.empty() && (answer[0] == 's' || answer[0] == 'S');
  };
  return seams;
}

Result<int> execute(RunRecord& record, Seams& seams, const Event& first, const std::map<std::string, std::string>& job_env,
                    std::ostream& out, bool observer) {
  Executor executor(record, seams, job_env, out, observer);
  return executor.run(first);
}

}  // namespace choline::run
