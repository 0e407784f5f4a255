#include <choline/run/host_session.hpp>

#include <choline/agent/embedded.hpp>
#include <choline/agent/log_stream.hpp>
#include <choline/run/paths.hpp>
#include <choline/sync/sync.hpp>
#include <choline/util/files.hpp>
#include <choline/util/hash.hpp>

#include <spdlog/spdlog.h>

#include <fstream>

namespace choline::run {

namespace {

// Runs a command on the host to completion; returns its stdout, failing on a non-zero exit.
Result<std::string> run_command(transport::Transport& transport, const std::vector<std::string>& argv,
                                const std::string& input = {}) {
  auto stream = transport.exec(argv);
  if (!stream) return stream.error();
  if (!input.empty()) {
    if (auto ok = (*stream)->write_all(input.data(), input.size()); !ok) return ok.error();
  }
  (*stream)->close_write();
  std::string output;
  if (auto ok = transport::read_to_end(**stream, [&](std::string_view chunk) {
        output.append(chunk);
        return Status{};
      });
      !ok) {
    return ok.error();
  }
  if (auto ok = transport::wait_for_success(**stream, "'" + transport::shell_join(argv) + "' on " + transport.describe());
      !ok) {
    return ok.error();
  }
  return output;
}

}  // namespace

providers::Host to_host(const HostRecord& record) {
  providers::Host host;
  host.provider = record.provider;
  host.id = record.id;
  host.address = record.address;
  host.root = record.root;
  host.gpu = record.gpu;
  host.slots = record.slots;
  host.price_per_hour = record.price_per_hour;
  host.access = record.access;
  return host;
}

HostRecord to_record(const providers::Host& host, int node) {
  HostRecord record;
  record.node = node;
  record.provider = host.provider;
  record.id = host.id;
  record.address = host.address;
  record.root = host.root;
  record.gpu = host.gpu;
  record.slots = host.slots;
  record.price_per_hour = host.price_per_hour;
  record.access = host.access;
  return record;
}

Status HostSession::connect() {
  if (m_transport) return {};
  auto transport = m_provider.connect(m_host);
  if (!transport) return transport.error();
  m_transport = std::move(*transport);
  return {};
}

std::string HostSession::agent_path() const {
  if (m_provider.shares_this_machine()) return (choline_home() / "agent" / agent::agent_file_name()).string();
  return m_host.access.value("workdir", ".choline") + "/agent/" + agent::agent_file_name();
}

std::vector<std::string> HostSession::agent_command(std::vector<std::string> args) const {
  std::vector<std::string> argv = {agent_path(), "agent"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Status HostSession::install_agent() {
  if (auto ok = connect(); !ok) return ok;
  // Hosts run the embedded static agent, never this dynamically linked binary: a rented image
  // has another glibc and none of our shared libraries.
  if (agent::embedded_agent().empty()) {
    return make_error(ErrorKind::internal, "this choline binary carries no embedded agent; rebuild it with scripts/build");
  }
  if (m_provider.shares_this_machine()) {
    auto path = agent::cached_agent(choline_home() / "agent");
    if (!path) return path.error();
    return {};
  }
  const std::string path = agent_path();
  if (run_command(*m_transport, {"test", "-x", path})) return {};
  const std::string dir = path.substr(0, path.rfind('/'));
  const std::string_view binary = agent::embedded_agent();
  spdlog::info("{}: installing the agent ({:.1f} MB)", m_host.id, binary.size() / 1e6);
  const std::string temp = path + ".upload";
  const std::string script = "mkdir -p " + transport::shell_quote(dir) + " && cat > " + transport::shell_quote(temp) +
                             " && chmod 755 " + transport::shell_quote(temp) + " && mv -f " + transport::shell_quote(temp) +
                             " " + transport::shell_quote(path);
  if (auto ok = run_command(*m_transport, {"sh", "-c", script}, std::string(binary)); !ok) return ok.error();
  return {};
}

Result<sync::SyncStats> HostSession::send_tree(const std::filesystem::path& local_dir, const std::string& remote_path,
                                               const sync::SyncOptions& options) {
  auto stream = m_transport->exec(agent_command({"sync-recv", remote_path}));
  if (!stream) return stream.error();
  auto stats = sync::run_sender(local_dir, **stream, options);
  // The sender's own error says more than the agent's exit status when both failed.
  if (auto ok = transport::wait_for_success(**stream, "the agent's sync receiver on " + m_host.id); !ok && stats) {
    return ok.error();
  }
  return stats;
}

Result<sync::SyncStats> HostSession::push(const std::filesystem::path& project_dir, const std::vector<std::string>& ignore) {
  sync::SyncOptions options;
  options.extra_ignore = ignore;
  options.extra_ignore.push_back(".choline/");  // the run records never travel
  return send_tree(project_dir, m_host.root + "/project", options);
}

Result<sync::SyncStats> HostSession::push_directory(const std::filesystem::path& local_dir, const std::string& remote_dir) {
  return send_tree(local_dir, m_host.root + "/project/" + remote_dir, {});
}

Status HostSession::run_setup(const std::vector<std::string>& commands, const std::string& python, std::ostream& out) {
  if (commands.empty()) return {};
  util::Hash128 hash;
  for (const auto& command : commands) hash.update(command.data(), command.size() + 1);
  hash.update(python.data(), python.size());
  const std::string marker = m_host.root + "/setup.done";
  const std::string digest = util::to_hex(hash.digest());
  if (auto current = run_command(*m_transport, {"cat", marker}); current && current->find(digest) != std::string::npos) {
    return {};
  }
  for (const auto& command : commands) {
    out << "[setup " << m_host.id << "] $ " << command << "\n";
    // CHOLINE_PYTHON names the run's interpreter, e.g. to ask it for torch's cmake prefix.
    auto stream = m_transport->exec({"sh", "-c", "cd " + transport::shell_quote(m_host.root + "/project") +
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
                                               std::to_string(*code) + "); fix it in choline.json and run choline resume");
    }
  }
  if (auto ok = run_command(*m_transport, {"sh", "-c", "echo " + digest + " > " + transport::shell_quote(marker)}); !ok) {
    return ok.error();
  }
  return {};
}

Status HostSession::check_python(const std::string& python) {
  auto stream = m_transport->exec(
      {python, "-c", "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('torch') else 3)"});
  if (!stream) return stream.error();
  (*stream)->close_write();
  auto code = (*stream)->wait();
  if (!code) return code.error();
  const std::string fix = " (choose the interpreter with \"python\" in choline.json, --python, or CHOLINE_PYTHON)";
  if (*code == 3) return make_error(ErrorKind::usage, "the interpreter '" + python + "' on " + m_host.id + " has no torch module" + fix);
  if (*code != 0) {
    return make_error(ErrorKind::usage, "the interpreter '" + python + "' does not run on " + m_host.id + ": " +
                                            (*stream)->stderr_tail() + fix);
  }
  return {};
}

Result<std::int64_t> HostSession::launch(const agent::JobSpec& job) {
  auto output = run_command(*m_transport, agent_command({"launch", "--root", m_host.root}), job.to_json().dump());
  if (!output) return output.error();
  try {
    return std::stoll(*output);
  } catch (const std::exception&) {
    return make_error(ErrorKind::protocol, "the agent answered launch with '" + *output + "'");
  }
}

Result<nlohmann::json> HostSession::follow_logs(LogSink& sink, bool follow, const std::function<bool()>& should_stop,
                                                const std::function<void(const nlohmann::json&)>& on_state) {
  std::vector<std::string> args = {"logs", "--root", m_host.root};
  if (follow) args.push_back("--follow");
  for (const auto& [rank, offset] : sink.offsets()) {
    args.push_back("--offset");
    args.push_back(std::to_string(rank) + ":" + std::to_string(offset));
  }
  auto stream = m_transport->exec(agent_command(args));
  if (!stream) return stream.error();
  (*stream)->close_write();
  sync::FrameReader reader(**stream);
  // Checked on every frame; heartbeats arrive every couple of seconds, which bounds how long a
  // stop request (Ctrl-C, detach) waits.
  const auto stop_requested = [&]() -> Status {
    if (should_stop()) return make_error(ErrorKind::interrupted, "stopped following logs");
    return {};
  };
  agent::LogHandlers handlers;
  handlers.on_log = [&](int rank, std::uint64_t offset, std::string_view data) -> Status {
    if (auto ok = sink.append(rank, offset, data); !ok) return ok;
    return stop_requested();
  };
  handlers.on_state = [&](const nlohmann::json& state) -> Status {
    if (on_state) on_state(state);
    return stop_requested();
  };
  return agent::receive_logs(reader, handlers);
}

Result<sync::SyncStats> HostSession::pull(const std::string& remote_dir, const std::filesystem::path& local_dir,
                                          const std::vector<std::string>& ignore) {
  std::vector<std::string> args = {"sync-send", m_host.root + "/project/" + remote_dir};
  for (const auto& pattern : ignore) {
    args.push_back("--ignore");
    args.push_back(pattern);
  }
  auto stream = m_transport->exec(agent_command(args));
  if (!stream) return stream.error();
  auto stats = sync::run_receiver(local_dir, **stream);
  (*stream)->close_write();
  (void)(*stream)->wait();
  return stats;
}

Status HostSession::stop() {
  auto output = run_command(*m_transport, agent_command({"stop", "--root", m_host.root}));
  if (!output) return output.error();
  return {};
}

Result<nlohmann::json> HostSession::state() {
  auto output = run_command(*m_transport, agent_command({"state", "--root", m_host.root}));
  if (!output) return output.error();
  auto state = nlohmann::json::parse(*output, nullptr, false);
  if (state.is_discarded()) return make_error(ErrorKind::protocol, "bad state from agent");
  if (auto ok = agent::validate_agent_state(state); !ok) return ok.error();
  return state;
}

}  // namespace choline::run
