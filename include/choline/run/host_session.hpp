#pragma once
// The laptop's handle on one host of a run: everything the controller does to a host goes
// through here, over the provider's transport and the agent on the other side.

#include <choline/agent/job.hpp>
#include <choline/run/log_sink.hpp>
#include <choline/run/run_record.hpp>
#include <choline/sync/protocol.hpp>

#include "providers/provider.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <ostream>

namespace choline::run {

// A host as the provider describes it and as run.json records it (the record adds the node,
// its state and the agent's pid).
providers::Host to_host(const HostRecord& record);
HostRecord to_record(const providers::Host& host, int node);

class HostSession {
 public:
  HostSession(providers::Provider& provider, providers::Host host) : m_provider(provider), m_host(std::move(host)) {}

  const providers::Host& host() const { return m_host; }

  // Connects (once; later calls reuse the connection).
  Status connect();

  // Makes sure this exact choline runs as the agent on the host: on this machine it is this
  // binary; elsewhere it is uploaded once under a name derived from its content hash.
  Status install_agent();

  // Pushes the project to the host's project directory.
  Result<sync::SyncStats> push(const std::filesystem::path& project_dir, const std::vector<std::string>& ignore);

  // Pushes `local_dir` to `remote_dir` (relative to the project on the host), e.g. the
  // checkpoint a new attempt resumes from.
  Result<sync::SyncStats> push_directory(const std::filesystem::path& local_dir, const std::string& remote_dir);

  // Runs the setup commands in the project directory once per host (a marker remembers them),
  // streaming their output to `out` with a "[setup N]" prefix. $CHOLINE_PYTHON is `python`.
  Status run_setup(const std::vector<std::string>& commands, const std::string& python, std::ostream& out);

  // Checks that `python` exists on the host and can import torch (without importing it, which
  // would take seconds), so a wrong interpreter is one clear error instead of failed attempts.
  Status check_python(const std::string& python);

  // Starts the job's supervisor; returns its pid.
  Result<std::int64_t> launch(const agent::JobSpec& job);

  // Streams the host's logs into `sink` from what it already holds, until the job ends on the
  // host (returns the final state) or `should_stop` turns true (returns an interrupted error).
  Result<nlohmann::json> follow_logs(LogSink& sink, bool follow, const std::function<bool()>& should_stop,
                                     const std::function<void(const nlohmann::json&)>& on_state = {});

  // Pulls `remote_dir` (relative to the project on the host) into `local_dir`.
  Result<sync::SyncStats> pull(const std::string& remote_dir, const std::filesystem::path& local_dir,
                               const std::vector<std::string>& ignore);

  // Stops the job's workers on the host.
  Status stop();

  // The job's state on the host.
  Result<nlohmann::json> state();

 private:
  // Where the agent lives for this host. Derived, not remembered: a session opened later (logs
  // -f, stop, resume from another terminal) must reach the same agent without installing it.
  std::string agent_path() const;
  std::vector<std::string> agent_command(std::vector<std::string> args) const;
  Result<sync::SyncStats> send_tree(const std::filesystem::path& local_dir, const std::string& remote_path,
                                    const sync::SyncOptions& options);

  providers::Provider& m_provider;
  providers::Host m_host;
  std::unique_ptr<transport::Transport> m_transport;
};

}  // namespace choline::run
