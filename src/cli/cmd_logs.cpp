#include <choline/cli/command.hpp>

#include <CLI/CLI.hpp>

namespace choline::cli {

namespace {

class LogsCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id (default: the latest run of this project)");
    app.add_flag("-f,--follow", m_follow, "Keep streaming new lines until the run ends (Ctrl-C to stop watching)");
    app.add_option("--rank", m_rank, "Only this global rank's lines");
  }
  Result<int> run(CommandContext&) override { return not_built_yet("showing logs"); }

 private:
  std::string m_run;
  bool m_follow = false;
  int m_rank = -1;
};

}  // namespace

std::unique_ptr<Command> make_logs_command() { return std::make_unique<LogsCommand>(); }

}  // namespace choline::cli
