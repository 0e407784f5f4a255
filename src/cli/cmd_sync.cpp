#include <choline/cli/command.hpp>
#include <choline/limits.hpp>
#include <choline/remote/remote_agent.hpp>
#include <choline/sync/sync.hpp>
#include <choline/transport/endpoint.hpp>
#include <choline/transport/local_transport.hpp>
#include <choline/ssh/ssh_transport.hpp>
#include <choline/util/process.hpp>
#include <choline/util/strings.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ostream>

namespace choline::cli {

namespace {

class SyncCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("SRC", m_source, "Source: a local directory or [user@]host[:port]:/path")->required();
    app.add_option("DEST", m_destination, "Destination: a local directory or [user@]host[:port]:/path")->required();
    app.add_flag("--delete", m_options.delete_extraneous, "Delete files in DEST that SRC does not have (ignored paths are kept)");
    app.add_option("--ignore", m_options.extra_ignore, "Extra ignore pattern, .gitignore syntax (repeatable)");
    app.add_option("--idle-timeout", m_idle_timeout_s,
                   "Give up when nothing moved on the connection for this many seconds (0: never)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_flag("--stats", m_stats, "Print transfer statistics as one JSON object on stdout");
    app.add_option("-i,--identity", m_ssh.identity, "Private key for SSH (default: ssh-agent, then ~/.ssh/id_*)");
    app.add_option("--known-hosts", m_ssh.known_hosts,
                   "known_hosts file to check and record host keys in (default ~/.ssh/known_hosts)");
    app.add_option("--remote-choline", m_remote_choline, "choline binary on the remote host (default: the embedded agent, installed under ~/.choline/agent)");
    // Testing aid: run the local agent through a prefix, e.g. --wrap "chroot /srv/bullseye" with
    // --agent /usr/local/bin/choline-agent, to prove the agent works in another distribution.
    app.add_option("--wrap", m_wrap, "Prefix for the local agent command (words split on spaces)")->group("");
    app.add_option("--agent", m_local_agent, "Agent binary for a local side (default: this choline)")->group("");
  }

  Result<int> run(CommandContext& context) override {
    m_options.idle_timeout = std::chrono::seconds(m_idle_timeout_s);
    auto source = transport::parse_endpoint(m_source);
    if (!source) return std::move(source).error();
    auto destination = transport::parse_endpoint(m_destination);
    if (!destination) return std::move(destination).error();
    if (source->remote && destination->remote) {
      return make_error(ErrorKind::usage, "both SRC and DEST are remote; one side must be a local directory");
    }

    const auto& remote = source->remote ? source->remote : destination->remote;
    auto transport = transport_for(remote);
    if (!transport) return std::move(transport).error();
    auto agent = agent_command(**transport, remote);
    if (!agent) return std::move(agent).error();
    const std::string label = remote ? remote->describe() : "the local agent";
    // Push: scan here, receive there. Pull: scan there, receive here.
    const remote::SyncDisplay display{"sync " + m_source + " -> " + m_destination};
    auto stats = !source->remote
                     ? remote::push_through_agent(**transport, *agent, source->path, destination->path, m_options, label, display)
                     : remote::pull_through_agent(**transport, *agent, source->path, destination->path, m_options, label, display);
    if (!stats) return std::move(stats).error();
    if (m_stats) context.out << sync::stats_to_json(*stats) << "\n";
    for (const auto& error : stats->errors) spdlog::error("sync: {}", error);
    spdlog::debug("sync: {} of {} files transferred in {:.2f}s", stats->files_transferred, stats->files_total,
                  stats->seconds);
    return stats->errors.empty() ? 0 : 1;
  }

 private:
  Result<std::unique_ptr<transport::Transport>> transport_for(const std::optional<transport::SshAddress>& remote) {
    if (!remote) return transport::make_local_transport(m_wrap.empty() ? std::vector<std::string>{} : util::split(m_wrap, ' '));
    return ssh::connect(*remote, m_ssh);
  }

  // The agent's command on the other side. A remote host gets the embedded static agent,
  // installed once by content hash like `choline train` does, unless --remote-choline names one.
  Result<std::vector<std::string>> agent_command(transport::Transport& transport,
                                                 const std::optional<transport::SshAddress>& remote) const {
    if (!remote) return std::vector<std::string>{m_local_agent.empty() ? util::self_exe_path() : m_local_agent, "agent"};
    if (!m_remote_choline.empty()) return std::vector<std::string>{m_remote_choline, "agent"};
    if (auto ok = remote::install_remote_agent(transport, k_remote_agent_dir, remote->describe()); !ok) return ok.error();
    return std::vector<std::string>{remote::remote_agent_path(k_remote_agent_dir), "agent"};
  }

  // Relative to the login directory, as the ssh provider's default workdir.
  static constexpr const char* k_remote_agent_dir = ".choline/agent";

  std::string m_source, m_destination;
  std::string m_remote_choline;
  std::string m_wrap;
  std::string m_local_agent;
  sync::SyncOptions m_options;
  int m_idle_timeout_s = static_cast<int>(limits::k_default_idle_timeout.count());
  ssh::Options m_ssh;
  bool m_stats = false;
};

}  // namespace

std::unique_ptr<Command> make_sync_command() { return std::make_unique<SyncCommand>(); }

}  // namespace choline::cli
