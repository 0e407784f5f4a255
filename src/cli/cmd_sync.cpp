#include <choline/cli/command.hpp>

#include <CLI/CLI.hpp>

namespace choline::cli {

namespace {

class SyncCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("SRC", m_source, "Source: a local directory or [user@]host[:port]:/path")->required();
    app.add_option("DEST", m_destination, "Destination: a local directory or [user@]host[:port]:/path")->required();
    app.add_flag("--delete", m_delete, "Delete files in DEST that SRC does not have");
    app.add_flag("--stats", m_stats, "Print transfer statistics as one JSON object on stdout");
    app.add_option("-i,--identity", m_identity, "Private key for SSH (default: ssh-agent, then ~/.ssh/id_*)");
    app.add_option("--known-hosts", m_known_hosts, "known_hosts file to check and record host keys in");
  }
  Result<int> run(CommandContext&) override { return not_built_yet("choline sync"); }

 private:
  std::string m_source, m_destination, m_identity, m_known_hosts;
  bool m_delete = false, m_stats = false;
};

}  // namespace

std::unique_ptr<Command> make_sync_command() { return std::make_unique<SyncCommand>(); }

}  // namespace choline::cli
