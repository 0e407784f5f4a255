#pragma once
// A scriptable provider whose hosts are fakes: no processes, no network, no real time. Each
// created host gets a HostControl that "runs" the job instantly by a script: which rank fails on
// which attempt, which host refuses to be created, never boots, dies, or hangs. For driving the
// run executor end to end in milliseconds (tests/unit/test_run_controller.cpp).

#include <choline/providers/provider.hpp>
#include <choline/run/host_session.hpp>
#include <choline/util/clock.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace choline::fakes {

// Virtual time. The thread that made the clock (the one driving the executor) advances it by
// sleeping; other threads' sleeps wait until it has moved past their wake-up time (or, so that
// nothing waits forever on a thread that is joining them, for at most 20 ms of real time).
class FakeClock final : public util::Clock {
 public:
  TimePoint now() override { return TimePoint(std::chrono::nanoseconds(m_ns.load())); }
  void sleep_for(Duration duration) override {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
    if (std::this_thread::get_id() == m_owner) {
      m_ns += ns;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      return;
    }
    const std::int64_t wake = m_ns.load() + ns;
    const auto real_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
    while (m_ns.load() < wake && std::chrono::steady_clock::now() < real_deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

 private:
  std::atomic<std::int64_t> m_ns{1'000'000'000};
  std::thread::id m_owner = std::this_thread::get_id();
};

// What happens to the host created by the provider's n-th create() call (0-based).
struct HostScript {
  bool refuse_create = false;                      // create() fails: no capacity
  ErrorKind refuse_kind = ErrorKind::unsupported;  // the kind of that failure
  bool never_boots = false;                        // status() stays provisioning
  int dies_in_attempt = 0;                         // its log stream breaks for good during this attempt
  int hangs_in_attempt = 0;                        // its stream stays open but silent (no heartbeats) in this attempt
  std::optional<Error> prepare_error;              // check_python fails with this
  std::set<std::string> without_torch;             // interpreters check_python finds no torch in
  std::optional<Error> stage_error;                // stage_data fails with this
  int gone_in_attempt = 0;                         // the provider reports it gone (its stream hangs) in this attempt
  int ports_taken = 0;      // as node 0, the first this many preflight listens find a port in use
  int busy_in_attempt = 0;  // its job runs (heartbeats and all) until it is told to stop
};

struct FakeWorld {
  std::mutex mutex;
  std::map<int, HostScript> scripts;            // by create() call index
  std::map<int, std::pair<int, int>> failures;  // attempt -> (rank, exit code)
  int creates = 0;
  std::set<std::string> live;                                    // created and not released
  std::vector<providers::HostRequest> requests;                  // every create() request
  std::vector<agent::JobSpec> launches;                          // every job launched, in order
  std::vector<std::pair<std::string, std::string>> pushed_dirs;  // (host id, remote dir)
  std::vector<std::string> stops;                                // host ids told to stop
  std::map<std::string, int> attempt_of;                         // host id -> the attempt it runs
  std::vector<std::vector<int>> listened;                        // the ports of every preflight listen, in order
  double price_per_hour = 0;                                     // of every host created
  int installs = 0;                                              // agent installs asked for
  int setups = 0;                                                // setup runs asked for
  bool shares_this_machine = false;                    // what the provider says (other interpreters are tried)
  std::vector<std::string> python_checks;              // every interpreter check_python was asked about
  std::vector<std::string> prepared_hosts;             // host ids, one per project push
  std::vector<std::vector<std::string>> push_ignores;  // the ignore patterns of every project push
  // Data: what each host's cache holds (by the host's machine: a warm pool host keeps it), and
  // every entry staged: (host id, entry key, action).
  std::map<std::string, std::set<std::string>> data_cache;
  struct Staged {
    std::string host;
    std::string key;
    std::string id;
    remote::DataAction action;
  };
  std::vector<Staged> staged;
  // The order things happened on hosts: "push fake-0", "stage fake-0", "launch fake-0".
  std::vector<std::string> steps;
  // Extra lines rank 0 prints in a job (a sweep's trial: its "choline-metrics:" lines).
  std::function<std::vector<std::string>(const agent::JobSpec&)> rank0_lines;
  std::set<std::string> failing_hosts;  // every job on these hosts fails (rank 0 exits 1): a bad GPU
  // After its lines, a job keeps running (heartbeats and all) while this says so, or until it
  // is told to stop. Called without the mutex held.
  std::function<bool(const agent::JobSpec&)> hold_after_lines;
};

class FakeHost final : public run::HostControl {
 public:
  FakeHost(std::shared_ptr<FakeWorld> world, providers::Host host, HostScript script)
      : m_world(std::move(world)), m_host(std::move(host)), m_script(std::move(script)) {}

  const providers::Host& host() const override { return m_host; }
  Status connect() override { return {}; }
  Status install_agent() override {
    std::lock_guard lock(m_world->mutex);
    ++m_world->installs;
    return {};
  }
  Result<sync::SyncStats> push(const std::filesystem::path&, const std::vector<std::string>& ignore) override {
    std::lock_guard lock(m_world->mutex);
    m_world->prepared_hosts.push_back(m_host.id);
    m_world->push_ignores.push_back(ignore);
    m_world->steps.push_back("push " + m_host.id);
    return sync::SyncStats{};
  }
  // Like the agent: a version the host's cache holds is "cached" and nothing crosses; else a path
  // entry is "sent" (all of its bytes) and a url entry "downloaded".
  Result<std::vector<remote::DataStageStats>> stage_data(const std::vector<remote::PreparedData>& data,
                                                         const remote::DataStageOptions&) override {
    std::lock_guard lock(m_world->mutex);
    m_world->steps.push_back("stage " + m_host.id);
    if (m_script.stage_error) return *m_script.stage_error;
    std::set<std::string>& cache = m_world->data_cache[m_host.id];
    std::vector<remote::DataStageStats> all;
    for (const auto& item : data) {
      remote::DataStageStats stats;
      stats.key = item.entry.key;
      stats.to = item.entry.to;
      stats.id = item.id;
      stats.files = item.local ? item.local->files : 1;
      stats.bytes = item.local ? item.local->bytes : 0;
      if (cache.count(item.id)) {
        stats.action = remote::DataAction::cached;
      } else if (item.local) {
        stats.action = remote::DataAction::sent;
        stats.sync.files_transferred = item.local->files;
        stats.sync.bytes_literal = item.local->bytes;
        stats.sync.bytes_sent = item.local->bytes;
      } else {
        stats.action = remote::DataAction::downloaded;
      }
      cache.insert(item.id);
      m_world->staged.push_back({m_host.id, item.entry.key, item.id, stats.action});
      all.push_back(stats);
    }
    return all;
  }
  Result<sync::SyncStats> push_directory(const std::filesystem::path&, const std::string& remote_dir) override {
    std::lock_guard lock(m_world->mutex);
    m_world->pushed_dirs.emplace_back(m_host.id, remote_dir);
    return sync::SyncStats{};
  }
  Status run_setup(const std::vector<std::string>&, const std::string&, std::ostream&) override {
    std::lock_guard lock(m_world->mutex);
    ++m_world->setups;
    return {};
  }
  Status check_python(const std::string& python) override {
    {
      std::lock_guard lock(m_world->mutex);
      m_world->python_checks.push_back(python);
    }
    if (m_script.prepare_error) return *m_script.prepare_error;
    if (m_script.without_torch.count(python)) return make_error(ErrorKind::usage, python + " has no torch module");
    return {};
  }
  Result<std::int64_t> launch(const agent::JobSpec& job) override {
    std::lock_guard lock(m_world->mutex);
    m_world->launches.push_back(job);
    m_world->steps.push_back("launch " + m_host.id);
    m_world->attempt_of[m_host.id] = job.attempt;
    m_job = job;
    return static_cast<std::int64_t>(1000 + m_world->launches.size());
  }

  Result<agent::JobState> follow_logs(logs::LogSink& sink, const std::map<int, std::uint64_t>& log_base,
                                      const std::function<bool()>& should_stop,
                                      const std::function<void(const agent::JobState&)>& on_state) override {
    if (!m_job) return make_error(ErrorKind::remote, "no job");
    if (m_script.dies_in_attempt == m_job->attempt) return make_error(ErrorKind::network, "connection reset by peer");
    if (m_script.busy_in_attempt == m_job->attempt) {
      agent::JobState running;
      running.status = agent::JobStatus::running;
      running.attempt = m_job->attempt;
      while (!should_stop()) {
        on_state(running);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      return make_error(ErrorKind::interrupted, "stopped following logs");
    }
    if (m_script.hangs_in_attempt == m_job->attempt || m_script.gone_in_attempt == m_job->attempt) {
      while (!should_stop()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      return make_error(ErrorKind::interrupted, "stopped following logs");
    }
    agent::JobState state;
    state.status = agent::JobStatus::running;
    state.attempt = m_job->attempt;
    on_state(state);
    state.exit_codes.assign(static_cast<std::size_t>(m_job->world_size()), 0);
    state.status = agent::JobStatus::succeeded;
    for (int local = 0; local < m_job->slots; ++local) {
      const int rank = m_job->node_rank * m_job->slots + local;
      std::string line = "attempt " + std::to_string(m_job->attempt) + " rank " + std::to_string(rank) + "\n";
      if (rank == 0 && m_world->rank0_lines) {
        for (const auto& extra : m_world->rank0_lines(*m_job)) line += extra + "\n";
      }
      // This fake host's log holds only this attempt's line: its byte 0 is the base.
      const std::uint64_t base = log_base.count(rank) ? log_base.at(rank) : 0;
      if (auto ok = sink.append(rank, std::max(base, sink.offsets()[rank]), line); !ok) return ok.error();
      std::lock_guard lock(m_world->mutex);
      if (rank == 0 && m_world->failing_hosts.count(m_host.id)) {
        state.status = agent::JobStatus::failed;
        state.failed_rank = rank;
        state.exit_codes[static_cast<std::size_t>(rank)] = 1;
      }
      if (auto f = m_world->failures.find(m_job->attempt); f != m_world->failures.end() && f->second.first == rank) {
        state.status = agent::JobStatus::failed;
        state.failed_rank = rank;
        state.exit_codes[static_cast<std::size_t>(rank)] = f->second.second;
      }
    }
    if (m_world->hold_after_lines) {
      agent::JobState running;
      running.status = agent::JobStatus::running;
      running.attempt = m_job->attempt;
      while (m_world->hold_after_lines(*m_job)) {
        if (should_stop()) return make_error(ErrorKind::interrupted, "stopped following logs");
        on_state(running);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    return state;
  }

  // Node 0 "wrote" one checkpoint per attempt it ran.
  Result<sync::SyncStats> pull(const std::string&, const std::filesystem::path& local_dir,
                               const std::vector<std::string>&) override {
    if (!m_job || m_job->node_rank != 0) return sync::SyncStats{};
    std::filesystem::create_directories(local_dir);
    // Whole and renamed into place, as the sync engine lands a pulled file.
    const auto path = local_dir / ("epoch-" + std::to_string(m_job->attempt) + ".pt");
    std::ofstream(path.string() + ".partial") << "weights";
    std::filesystem::rename(path.string() + ".partial", path);
    return sync::SyncStats{};
  }
  // The multi-node preflight on node 0: a port held by someone else, then (taking no part in
  // the probes) nothing to listen on.
  Result<std::unique_ptr<transport::Stream>> listen_for_probes(const std::vector<int>& ports) override {
    std::lock_guard lock(m_world->mutex);
    m_world->listened.push_back(ports);
    if (m_script.ports_taken > 0) {
      --m_script.ports_taken;
      return make_error(ErrorKind::remote, "listening on " + m_host.id +
                                               " exited 1: choline: error: node 0 cannot listen on port " +
                                               std::to_string(ports.front()) + ": Address already in use");
    }
    return std::unique_ptr<transport::Stream>();
  }
  Status stop() override {
    std::lock_guard lock(m_world->mutex);
    m_world->stops.push_back(m_host.id);
    return {};
  }
  Result<agent::JobState> state() override {
    agent::JobState state;
    if (m_job) state.status = agent::JobStatus::running;
    return state;
  }

 private:
  std::shared_ptr<FakeWorld> m_world;
  providers::Host m_host;
  HostScript m_script;
  std::optional<agent::JobSpec> m_job;
};

class FakeProvider final : public providers::Provider {
 public:
  explicit FakeProvider(std::shared_ptr<FakeWorld> world) : m_world(std::move(world)) {}

  std::string name() const override { return "fake"; }
  Result<std::vector<providers::Offer>> offers(const spec::GpuSpec&) override {
    return std::vector<providers::Offer>{};
  }

  Result<providers::Host> create(const providers::HostRequest& request) override {
    std::lock_guard lock(m_world->mutex);
    m_world->requests.push_back(request);
    const int index = m_world->creates++;
    if (m_world->scripts[index].refuse_create)
      return make_error(m_world->scripts[index].refuse_kind, "no capacity for this offer");
    providers::Host host;
    host.provider = "fake";
    host.id = "fake-" + std::to_string(index);
    host.address = "10.0.0." + std::to_string(index + 1);
    host.root = "/fake/" + host.id;
    host.agent_dir = "/fake/agent";
    host.slots = request.shape.count;
    host.price_per_hour = m_world->price_per_hour;
    host.access = {{"index", index}};
    m_world->live.insert(host.id);
    return host;
  }

  Result<providers::HostStatus> status(const providers::Host& host) override {
    std::lock_guard lock(m_world->mutex);
    if (!m_world->live.count(host.id)) return providers::HostStatus::gone;
    const HostScript& script = m_world->scripts[host.access.value("index", 0)];
    if (script.gone_in_attempt && m_world->attempt_of[host.id] == script.gone_in_attempt)
      return providers::HostStatus::gone;
    return script.never_boots ? providers::HostStatus::provisioning : providers::HostStatus::ready;
  }

  Result<std::unique_ptr<transport::Transport>> connect(const providers::Host&) override {
    return make_error(ErrorKind::unsupported, "fake hosts are reached through FakeHost");
  }

  Status release(const providers::Host& host) override {
    std::lock_guard lock(m_world->mutex);
    m_world->live.erase(host.id);
    return {};
  }

  bool shares_this_machine() const override { return m_world->shares_this_machine; }

  run::HostOpener opener() {
    return [world = m_world](const providers::Host& host) -> std::unique_ptr<run::HostControl> {
      std::lock_guard lock(world->mutex);
      return std::make_unique<FakeHost>(world, host, world->scripts[host.access.value("index", 0)]);
    };
  }

 private:
  std::shared_ptr<FakeWorld> m_world;
};

}  // namespace choline::fakes
