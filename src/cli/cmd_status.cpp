#include <choline/cli/command.hpp>

#include <CLI/CLI.hpp>

namespace choline::cli {

namespace {

class StatusCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id (default: every run of this project, newest first)");
    app.add_flag("--json", m_json, "Print the run record as JSON on stdout");
  }
  Result<int> run(CommandContext&) override { return not_built_yet("showing run status"); }

 private:
  std::string m_run;
  bool m_json = false;
};

}  // namespace

std::unique_ptr<Command> make_status_command() { return std::make_unique<StatusCommand>(); }

}  // namespace choline::cli
