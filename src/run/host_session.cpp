#include <choline/run/host_session.hpp>

#include <choline/agent/data_cache_policy.hpp>
#include <choline/agent/embedded.hpp>
#include <choline/agent/log_stream.hpp>
#include <choline/limits.hpp>
#include <choline/remote/remote_agent.hpp>
#include <choline/sync/sync.hpp>
#include <choline/util/files.hpp>
#include <choline/util/hash.hpp>
#include <choline/util/json.hpp>
#include <choline/util/progress.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <fstream>

namespace choline::run {

Status HostSession::connect() {
  if (m_transport) return {};
  auto transport = m_provider.connect(m_host);
  if (!transport) return transport.error();
  m_transport = std::move(*transport);
  return {};
}

std::vector<std::string> HostSession::agent_command(std::vector<std::string> args) const {
  std::vector<std::string> argv = {remote::remote_agent_path(m_host.agent_dir), "agent"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Status HostSession::install_agent() {
  if (auto ok = connect(); !ok) return ok;
  if (m_provider.shares_this_machine()) {
    auto path = agent::cached_agent(m_host.agent_dir);
    if (!path) return path.error();
    return {};
  }
  return remote::install_remote_agent(*m_transport, m_host.agent_dir, m_host.id);
}

Result<sync::SyncStats> HostSession::push(const std::filesystem::path& project_dir,
                                          const std::vector<std::string>& ignore) {
  if (auto ok = connect(); !ok) return ok.error();
  sync::SyncOptions options;
  options.extra_ignore = ignore;
  options.extra_ignore.push_back(".choline/");  // the run records never travel
  return remote::push_through_agent(*m_transport, agent_command({}), project_dir, m_host.root + "/project", options,
                                    m_host.id, {m_host.id + ": pushing the project"});
}

Result<sync::SyncStats> HostSession::push_directory(const std::filesystem::path& local_dir,
                                                    const std::string& remote_dir) {
  if (auto ok = connect(); !ok) return ok.error();
  return remote::push_through_agent(*m_transport, agent_command({}), local_dir, m_host.root + "/project/" + remote_dir,
                                    {}, m_host.id, {m_host.id + ": pushing checkpoints"});
}

Result<std::vector<remote::DataStageStats>> HostSession::stage_data(const std::vector<remote::PreparedData>& data,
                                                                    const remote::DataStageOptions& options) {
  if (data.empty()) return std::vector<remote::DataStageStats>{};
  if (auto ok = connect(); !ok) return ok.error();
  const remote::DataHost host{m_transport.get(),        agent_command({}), agent::data_cache_dir(m_host.agent_dir),
                              m_host.root + "/project", m_host.root,       m_host.id};
  return remote::stage_data(host, data, options);
}

Status HostSession::run_setup(const std::vector<std::string>& commands, const std::string& python, std::ostream& out) {
  if (commands.empty()) return {};
  if (auto ok = connect(); !ok) return ok;
  util::Hash128 hash;
  for (const auto& command : commands) hash.update(command.data(), command.size() + 1);
  hash.update(python.data(), python.size());
  const std::string marker = m_host.root + "/setup.done";
  const std::string digest = util::to_hex(hash.digest());
  if (auto current = remote::run_remote(*m_transport, {"cat", marker});
      current && current->find(digest) != std::string::npos) {
    return {};
  }
  util::ProgressStep step = util::progress().start(m_host.id + ": setup", {.show_after = {}, .show_elapsed = true});
  for (std::size_t k = 0; k < commands.size(); ++k) {
    const std::string& command = commands[k];
    step.status("(" + std::to_string(k + 1) + "/" + std::to_string(commands.size()) + ") " + command);
    out << "[setup " << m_host.id << "] $ " << command << "\n";
    // CHOLINE_PYTHON names the run's interpreter, e.g. to ask it for torch's cmake prefix.
    auto stream = m_transport->exec({"sh", "-c",
                                     "cd " + transport::shell_quote(m_host.root + "/project") +
                                         " && export CHOLINE_PYTHON=" + transport::shell_quote(python) + " && " +
                                         command + " 2>&1"});
    if (!stream) return stream.error();
    (*stream)->close_write();
    std::string pending;
    auto streamed = transport::read_to_end(**stream, [&](std::string_view chunk) {
      pending.append(chunk);
      for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
        out << "[setup " << m_host.id << "] " << pending.substr(0, nl + 1);
      }
      out.flush();
      return Status{};
    });
    if (!streamed) return streamed.error();
    if (!pending.empty()) out << "[setup " << m_host.id << "] " << pending << "\n";
    auto code = (*stream)->wait();
    if (!code) return code.error();
    if (*code != 0) {
      return make_error(ErrorKind::remote, "setup command '" + command + "' failed on " + m_host.id + " (exit " +
                                               std::to_string(*code) +
                                               "); fix it in choline.json and run choline resume");
    }
  }
  if (auto ok =
          remote::run_remote(*m_transport, {"sh", "-c", "echo " + digest + " > " + transport::shell_quote(marker)});
      !ok) {
    return ok.error();
  }
  step.finish(std::to_string(commands.size()) + (commands.size() == 1 ? " command" : " commands") + " in " +
              util::format_duration(step.elapsed_seconds()));
  return {};
}

Status HostSession::check_python(const std::string& python) {
  if (auto ok = connect(); !ok) return ok;
  auto stream = m_transport->exec(
      {python, "-c", "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('torch') else 3)"});
  if (!stream) return stream.error();
  (*stream)->close_write();
  auto code = (*stream)->wait();
  if (!code) return code.error();
  const std::string fix = " (choose the interpreter with \"python\" in choline.json, --python, or CHOLINE_PYTHON)";
  if (*code == 3)
    return make_error(ErrorKind::usage,
                      "the interpreter '" + python + "' on " + m_host.id + " has no torch module" + fix);
  if (*code != 0) {
    return make_error(ErrorKind::usage, "the interpreter '" + python + "' does not run on " + m_host.id + ": " +
                                            (*stream)->stderr_tail() + fix);
  }
  return {};
}

Result<std::int64_t> HostSession::launch(const agent::JobSpec& job) {
  if (auto ok = connect(); !ok) return ok.error();
  auto output = remote::run_remote(*m_transport, agent_command({"launch", "--root", m_host.root}),
                                   util::dump_json(job.to_json()));
  if (!output) return output.error();
  try {
    return std::stoll(*output);
  } catch (const std::exception&) {
    return make_error(ErrorKind::protocol, "the agent answered launch with '" + *output + "'");
  }
}

Result<agent::JobState> HostSession::follow_logs(logs::LogSink& sink, const std::map<int, std::uint64_t>& log_base,
                                                 const std::function<bool()>& should_stop,
                                                 const std::function<void(const agent::JobState&)>& on_state) {
  return stream_logs(sink, log_base, /*follow=*/true, should_stop, on_state);
}

Result<agent::JobState> HostSession::fetch_logs(logs::LogSink& sink, const std::map<int, std::uint64_t>& log_base) {
  return stream_logs(sink, log_base, /*follow=*/false, [] { return false; }, {});
}

Result<agent::JobState> HostSession::stream_logs(logs::LogSink& sink, const std::map<int, std::uint64_t>& log_base,
                                                 bool follow, const std::function<bool()>& should_stop,
                                                 const std::function<void(const agent::JobState&)>& on_state) {
  if (auto ok = connect(); !ok) return ok.error();
  const auto base_of = [&](int rank) -> std::uint64_t {
    auto it = log_base.find(rank);
    return it == log_base.end() ? 0 : it->second;
  };
  std::vector<std::string> args = {"logs", "--root", m_host.root};
  if (follow) args.push_back("--follow");
  for (const auto& [rank, held] : sink.offsets()) {
    args.push_back("--offset");
    args.push_back(std::to_string(rank) + ":" + std::to_string(held >= base_of(rank) ? held - base_of(rank) : 0));
  }
  auto stream = m_transport->exec(agent_command(args));
  if (!stream) return stream.error();
  (*stream)->close_write();
  sync::FrameReader reader(**stream);
  // Checked on every frame; heartbeats arrive every couple of seconds, which bounds how long a
  // stop request (Ctrl-C, detach, another host lost) waits.
  const auto stop_requested = [&]() -> Status {
    if (should_stop()) return make_error(ErrorKind::interrupted, "stopped following logs");
    return {};
  };
  agent::LogHandlers handlers;
  handlers.on_log = [&](int rank, std::uint64_t offset, std::string_view data) -> Status {
    if (auto ok = sink.append(rank, base_of(rank) + offset, data); !ok) return ok;
    return stop_requested();
  };
  handlers.on_state = [&](const agent::JobState& state) -> Status {
    if (on_state) on_state(state);
    return stop_requested();
  };
  return agent::receive_logs(reader, handlers);
}

Result<sync::SyncStats> HostSession::pull(const std::string& remote_dir, const std::filesystem::path& local_dir,
                                          const std::vector<std::string>& ignore) {
  if (auto ok = connect(); !ok) return ok.error();
  sync::SyncOptions options;
  options.extra_ignore = ignore;
  // Checkpoints are pulled every few seconds and most pulls find nothing new: only a pull that
  // takes a while (a large checkpoint over a slow link) shows.
  return remote::pull_through_agent(*m_transport, agent_command({}), m_host.root + "/project/" + remote_dir, local_dir,
                                    options, m_host.id, {m_host.id + ": pulling checkpoints", k_quiet_pull});
}

Status HostSession::stop() {
  if (auto ok = connect(); !ok) return ok;
  auto output = remote::run_remote(*m_transport, agent_command({"stop", "--root", m_host.root}));
  if (!output) return output.error();
  return {};
}

Result<agent::JobState> HostSession::state() {
  if (auto ok = connect(); !ok) return ok.error();
  auto output = remote::run_remote(*m_transport, agent_command({"state", "--root", m_host.root}));
  if (!output) return output.error();
  auto state = util::parse_json(*output, limits::k_max_json_depth);
  if (!state)
    return make_error(ErrorKind::protocol, "bad state from the agent on " + m_host.id + ": " + state.error().message);
  return agent::parse_job_state(*state);
}

Result<std::unique_ptr<transport::Stream>> HostSession::listen_for_probes(const std::vector<int>& ports) {
  if (auto ok = connect(); !ok) return ok.error();
  std::vector<std::string> args = {"listen", "--seconds", "60"};
  for (int port : ports) {
    args.push_back("--port");
    args.push_back(std::to_string(port));
  }
  auto stream = m_transport->exec(agent_command(args));
  if (!stream) return stream.error();
  // One line when every port is bound, or EOF with the reason on stderr.
  std::string line;
  char c = 0;
  for (;;) {
    auto n = (*stream)->read_some(&c, 1);
    if (!n) return n.error();
    if (*n == 0) {
      (*stream)->close_write();
      auto ok = transport::wait_for_success(**stream, "listening for the multi-node preflight on " + m_host.id);
      if (!ok) return ok.error();
      return make_error(ErrorKind::remote, "the agent on " + m_host.id + " stopped listening");
    }
    if (c == '\n') break;
    line += c;
  }
  if (line != "listening")
    return make_error(ErrorKind::protocol, "the agent on " + m_host.id + " answered '" + line + "'");
  return std::move(*stream);
}

Result<std::vector<int>> HostSession::unreachable(const std::string& address, const std::vector<int>& ports) {
  if (auto ok = connect(); !ok) return ok.error();
  std::vector<std::string> args = {"reach", address};
  for (int port : ports) {
    args.push_back("--port");
    args.push_back(std::to_string(port));
  }
  auto stream = m_transport->exec(agent_command(args));
  if (!stream) return stream.error();
  (*stream)->close_write();
  std::string output;
  auto read = transport::read_to_end(**stream, [&](std::string_view chunk) {
    output.append(chunk);
    return Status{};
  });
  if (!read) return read.error();
  auto code = (*stream)->wait();
  if (!code) return code.error();
  if (*code != 0 && *code != 3)
    return make_error(ErrorKind::remote, "agent reach on " + m_host.id + " exited " + std::to_string(*code));
  std::vector<int> missed;
  for (const auto& word : util::split(output, '\n')) {
    if (auto port = util::parse_uint(word, 65535)) missed.push_back(static_cast<int>(*port));
  }
  return missed;
}

HostOpener session_opener(providers::Provider& provider) {
  return [&provider](const providers::Host& host) -> std::unique_ptr<HostControl> {
    return std::make_unique<HostSession>(provider, host);
  };
}

}  // namespace choline::run
