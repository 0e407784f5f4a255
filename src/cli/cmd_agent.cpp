#include <choline/cli/command.hpp>
#include <choline/version.hpp>

#include <CLI/CLI.hpp>

#include <ostream>

namespace choline::cli {

namespace {

// The agent's verbs are what the laptop side runs on a host over the transport; users do not
// call them, so the group is hidden from `choline --help`.
class AgentCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.require_subcommand(1);
    m_version = app.add_subcommand("version", "Print the agent's version (used to decide whether to upload it)");
    m_sync_recv = app.add_subcommand("sync-recv", "Receive a sync stream on stdin/stdout into ROOT");
    m_sync_recv->add_option("ROOT", m_root, "Destination root")->required();
  }

  Result<int> run(CommandContext& context) override {
    if (m_version->parsed()) {
      context.out << "choline-agent " << version() << "\n";
      return 0;
    }
    return not_built_yet("the sync receiver");
  }

 private:
  CLI::App* m_version = nullptr;
  CLI::App* m_sync_recv = nullptr;
  std::string m_root;
};

}  // namespace

std::unique_ptr<Command> make_agent_command() { return std::make_unique<AgentCommand>(); }

}  // namespace choline::cli
