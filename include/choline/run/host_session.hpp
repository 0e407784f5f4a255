#pragma once
// The laptop's handle on one host of a run. HostControl is what the run's executor does to a
// host; HostSession does it over the provider's transport and the agent on the other side, and
// tests substitute fakes (tests/fakes/fake_provider.hpp).

#include <choline/agent/job.hpp>
#include <choline/agent/job_state.hpp>
#include <choline/logs/log_sink.hpp>
#include <choline/providers/provider.hpp>
#include <choline/remote/data_push.hpp>
#include <choline/sync/protocol.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>

namespace choline::run {

class HostControl {
 public:
  virtual ~HostControl() = default;

  virtual const providers::Host& host() const = 0;

  // Connects (once; later calls reuse the connection).
  virtual Status connect() = 0;

  // Makes sure the embedded agent runs on the host: on this machine from the laptop's agent
  // cache; elsewhere uploaded once under a name derived from its content hash.
  virtual Status install_agent() = 0;

  // Pushes the project to the host's project directory.
  virtual Result<sync::SyncStats> push(const std::filesystem::path& project_dir,
                                       const std::vector<std::string>& ignore) = 0;

  // Pushes `local_dir` to `remote_dir` (relative to the project on the host), e.g. the
  // checkpoints a new attempt resumes from.
  virtual Result<sync::SyncStats> push_directory(const std::filesystem::path& local_dir,
                                                 const std::string& remote_dir) = 0;

  // Brings the run's data entries into the host's data cache (nothing crosses for a version it
  // holds) and links each at its `to` path in the project directory (remote::stage_data). An
  // error names the host and the entry.
  virtual Result<std::vector<remote::DataStageStats>> stage_data(const std::vector<remote::PreparedData>& data,
                                                                 const remote::DataStageOptions& options) = 0;

  // Runs the setup commands in the project directory once per host (a marker remembers them),
  // streaming their output to `out` with a "[setup HOST]" prefix. $CHOLINE_PYTHON is `python`.
  virtual Status run_setup(const std::vector<std::string>& commands, const std::string& python, std::ostream& out) = 0;

  // Checks that `python` exists on the host and can import torch (without importing it, which
  // would take seconds), so a wrong interpreter is one clear error instead of failed attempts.
  virtual Status check_python(const std::string& python) = 0;

  // Starts the job's supervisor; returns its pid.
  virtual Result<std::int64_t> launch(const agent::JobSpec& job) = 0;

  // Streams the host's logs into `sink` from what it already holds, until the job ends on the
  // host (returns the final state) or `should_stop` turns true (returns an interrupted error).
  // The host's byte 0 of rank r is byte log_base[r] of the sink's file. `on_state` sees every
  // state frame, the heartbeat.
  virtual Result<agent::JobState> follow_logs(logs::LogSink& sink, const std::map<int, std::uint64_t>& log_base,
                                              const std::function<bool()>& should_stop,
                                              const std::function<void(const agent::JobState&)>& on_state) = 0;

  // One pass of follow_logs: appends what the host holds beyond the sink's files and returns the
  // job's state then, without waiting for the job (`choline logs` without -f).
  virtual Result<agent::JobState> fetch_logs(logs::LogSink& sink, const std::map<int, std::uint64_t>& log_base) {
    (void)sink;
    (void)log_base;
    return make_error(ErrorKind::remote, host().id + " cannot hand over its logs");
  }

  // Pulls `remote_dir` (relative to the project on the host) into `local_dir`.
  virtual Result<sync::SyncStats> pull(const std::string& remote_dir, const std::filesystem::path& local_dir,
                                       const std::vector<std::string>& ignore) = 0;

  // Stops the job's workers on the host.
  virtual Status stop() = 0;

  // The job's state on the host.
  virtual Result<agent::JobState> state() = 0;

  // Multi-node preflight. On node 0: listen on `ports` until the returned stream is closed
  // (nullptr: this host cannot take part, the check is skipped). On the others: the ports of
  // `address` this host cannot connect to.
  virtual Result<std::unique_ptr<transport::Stream>> listen_for_probes(const std::vector<int>& ports) {
    (void)ports;
    return std::unique_ptr<transport::Stream>();
  }
  virtual Result<std::vector<int>> unreachable(const std::string& address, const std::vector<int>& ports) {
    (void)address;
    (void)ports;
    return std::vector<int>{};
  }
};

// A checkpoint pull that ends within this time shows no progress (see HostSession::pull).
inline constexpr std::chrono::milliseconds k_quiet_pull{2000};

// Opens the control of one host; the executor calls it for every host it needs to reach.
using HostOpener = std::function<std::unique_ptr<HostControl>(const providers::Host& host)>;

class HostSession final : public HostControl {
 public:
  HostSession(providers::Provider& provider, providers::Host host) : m_provider(provider), m_host(std::move(host)) {}

  const providers::Host& host() const override { return m_host; }
  Status connect() override;
  Status install_agent() override;
  Result<sync::SyncStats> push(const std::filesystem::path& project_dir,
                               const std::vector<std::string>& ignore) override;
  Result<sync::SyncStats> push_directory(const std::filesystem::path& local_dir,
                                         const std::string& remote_dir) override;
  Result<std::vector<remote::DataStageStats>> stage_data(const std::vector<remote::PreparedData>& data,
                                                         const remote::DataStageOptions& options) override;
  Status run_setup(const std::vector<std::string>& commands, const std::string& python, std::ostream& out) override;
  Status check_python(const std::string& python) override;
  Result<std::int64_t> launch(const agent::JobSpec& job) override;
  Result<agent::JobState> follow_logs(logs::LogSink& sink, const std::map<int, std::uint64_t>& log_base,
                                      const std::function<bool()>& should_stop,
                                      const std::function<void(const agent::JobState&)>& on_state) override;
  Result<agent::JobState> fetch_logs(logs::LogSink& sink, const std::map<int, std::uint64_t>& log_base) override;
  Result<sync::SyncStats> pull(const std::string& remote_dir, const std::filesystem::path& local_dir,
                               const std::vector<std::string>& ignore) override;
  Status stop() override;
  Result<agent::JobState> state() override;
  Result<std::unique_ptr<transport::Stream>> listen_for_probes(const std::vector<int>& ports) override;
  Result<std::vector<int>> unreachable(const std::string& address, const std::vector<int>& ports) override;

 private:
  // The agent's command prefix. Derived from the host record, not remembered: a session opened
  // later (logs -f, stop, resume from another terminal) must reach the same agent.
  std::vector<std::string> agent_command(std::vector<std::string> args) const;
  // The agent's log stream from what the sink holds: to the job's end (`follow`) or one pass.
  Result<agent::JobState> stream_logs(logs::LogSink& sink, const std::map<int, std::uint64_t>& log_base, bool follow,
                                      const std::function<bool()>& should_stop,
                                      const std::function<void(const agent::JobState&)>& on_state);

  providers::Provider& m_provider;
  providers::Host m_host;
  std::unique_ptr<transport::Transport> m_transport;
};

// The opener of real sessions over `provider`.
HostOpener session_opener(providers::Provider& provider);

}  // namespace choline::run
