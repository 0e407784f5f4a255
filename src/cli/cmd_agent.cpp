#include <choline/cli/command.hpp>
#include <choline/sync/sync.hpp>
#include <choline/transport/stdio_stream.hpp>
#include <choline/version.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <ostream>

namespace choline::cli {

namespace {

// The agent's verbs are what the laptop side runs on a host over a transport; users do not
// call them, so the group is hidden from `choline --help`. stdout carries protocol frames:
// nothing else may write to it.
class AgentCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.require_subcommand(1);
    m_version = app.add_subcommand("version", "Print the agent's version (used to decide whether to upload it)");
    m_sync_recv = app.add_subcommand("sync-recv", "Receive a sync stream on stdin/stdout into ROOT");
    m_sync_recv->add_option("ROOT", m_root, "Destination root")->required();
    m_sync_send = app.add_subcommand("sync-send", "Send ROOT as a sync stream on stdin/stdout");
    m_sync_send->add_option("ROOT", m_root, "Source root")->required();
    m_sync_send->add_flag("--delete", m_options.delete_extraneous, "Ask the receiver to delete extraneous files");
    m_sync_send->add_option("--ignore", m_options.extra_ignore, "Extra ignore pattern (repeatable)");
  }

  Result<int> run(CommandContext& context) override {
    if (m_version->parsed()) {
      context.out << "choline-agent " << version() << "\n";
      return 0;
    }
    auto stream = transport::make_stdio_stream();
    Result<sync::SyncStats> stats = m_sync_recv->parsed() ? sync::run_receiver(m_root, *stream)
                                                          : sync::run_sender(m_root, *stream, m_options);
    if (!stats) return stats.error();
    spdlog::debug("agent: {}", sync::stats_to_json(*stats));
    return 0;
  }

 private:
  CLI::App* m_version = nullptr;
  CLI::App* m_sync_recv = nullptr;
  CLI::App* m_sync_send = nullptr;
  std::string m_root;
  sync::SyncOptions m_options;
};

}  // namespace

std::unique_ptr<Command> make_agent_command() { return std::make_unique<AgentCommand>(); }

}  // namespace choline::cli
