#include <choline/cli/command.hpp>
#include <choline/cli/run_flags.hpp>

#include <CLI/CLI.hpp>

namespace choline::cli {

namespace {

class ResumeCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id (default: the latest run of this project)");
    define_run_flags(app, m_flags);
  }
  Result<int> run(CommandContext&) override { return not_built_yet("resuming a run"); }

 private:
  std::string m_run;
  spec::RunFlags m_flags;
};

}  // namespace

std::unique_ptr<Command> make_resume_command() { return std::make_unique<ResumeCommand>(); }

}  // namespace choline::cli
