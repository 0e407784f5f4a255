#include <choline/cli/command.hpp>
#include <choline/sync/sync.hpp>
#include <choline/transport/endpoint.hpp>
#include <choline/transport/local_transport.hpp>
#include <choline/transport/ssh_transport.hpp>
#include <choline/util/process.hpp>
#include <choline/util/strings.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

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
    app.add_flag("--stats", m_stats, "Print transfer statistics as one JSON object on stdout");
    app.add_option("-i,--identity", m_ssh.identity, "Private key for SSH (default: ssh-agent, then ~/.ssh/id_*)");
    app.add_option("--known-hosts", m_ssh.known_hosts,
                   "known_hosts file to check and record host keys in (default ~/.ssh/known_hosts)");
    app.add_option("--remote-choline", m_remote_choline, "choline binary on the remote host (default: choline on its PATH)");
    // Testing aid: run the local agent through a prefix, e.g. --wrap "chroot /srv/bullseye" with
    // --agent /usr/local/bin/choline-agent, to prove the agent works in another distribution.
    app.add_option("--wrap", m_wrap, "Prefix for the local agent command (words split on spaces)")->group("");
    app.add_option("--agent", m_local_agent, "Agent binary for a local side (default: this choline)")->group("");
  }

  Result<int> run(CommandContext& context) override {
    auto source = transport::parse_endpoint(m_source);
    if (!source) return std::move(source).error();
    auto destination = transport::parse_endpoint(m_destination);
    if (!destination) return std::move(destination).error();
    if (source->remote && destination->remote) {
      return make_error(ErrorKind::usage, "both SRC and DEST are remote; one side must be a local directory");
    }

    Result<sync::SyncStats> stats = make_error(ErrorKind::internal, "no sync ran");
    if (!source->remote) {
      // Push: scan here, receive there.
      auto transport = transport_for(destination->remote);
      if (!transport) return std::move(transport).error();
      auto stream = (*transport)->exec({agent_binary(destination->remote), "agent", "sync-recv", destination->path});
      if (!stream) return std::move(stream).error();
      stats = sync::run_sender(source->path, **stream, m_options);
      if (auto status = finish(**stream, stats); !status) return status.error();
    } else {
      // Pull: scan there, receive here.
      auto transport = transport_for(source->remote);
      if (!transport) return std::move(transport).error();
      std::vector<std::string> command = {agent_binary(source->remote), "agent", "sync-send", source->path};
      if (m_options.delete_extraneous) command.push_back("--delete");
      for (const auto& pattern : m_options.extra_ignore) {
        command.push_back("--ignore");
        command.push_back(pattern);
      }
      auto stream = (*transport)->exec(command);
      if (!stream) return std::move(stream).error();
      stats = sync::run_receiver(destination->path, **stream);
      if (auto status = finish(**stream, stats); !status) return status.error();
    }
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
    return transport::connect_ssh(*remote, m_ssh);
  }

  std::string agent_binary(const std::optional<transport::SshAddress>& remote) const {
    if (!remote) return m_local_agent.empty() ? util::self_exe_path() : m_local_agent;
    return m_remote_choline;
  }

  // Waits for the agent; when the sync itself went well, a failing agent still fails the
  // command (its status and stderr say why). When both failed, the sync's error says more.
  static Status finish(transport::Stream& stream, const Result<sync::SyncStats>& stats) {
    auto ok = transport::wait_for_success(stream, "the agent");
    if (!ok && stats) return ok;
    if (!ok) spdlog::debug("sync: {}", ok.error().message);
    return {};
  }

  std::string m_source, m_destination;
  std::string m_remote_choline = "choline";
  std::string m_wrap;
  std::string m_local_agent;
  sync::SyncOptions m_options;
  transport::SshOptions m_ssh;
  bool m_stats = false;
};

}  // namespace

std::unique_ptr<Command> make_sync_command() { return std::make_unique<SyncCommand>(); }

}  // namespace choline::cli
