#include <choline/cli/command.hpp>
#include <choline/cli/run_flags.hpp>
#include <choline/run/run_commands.hpp>

#include <CLI/CLI.hpp>

namespace choline::cli {

namespace {

class ResumeCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id or a unique part of it (default: the latest run)");
    define_view_flags(app, m_view);
  }

  Result<int> run(CommandContext& context) override {
    auto record = records::find_run(context.global.project_dir, m_run);
    if (!record) return std::move(record).error();
    return run::resume(*record, forwarded_env(record->options.env), context.out, run_hooks(), m_view);
  }

 private:
  std::string m_run;
  run::LiveView m_view;
};

}  // namespace

std::unique_ptr<Command> make_resume_command() {
  return std::make_unique<ResumeCommand>();
}

}  // namespace choline::cli
