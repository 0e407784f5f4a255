#include <choline/cli/command.hpp>
#include <choline/run/controller.hpp>

#include <CLI/CLI.hpp>

namespace choline::cli {

namespace {

class LogsCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id or a unique part of it (default: the latest run)");
    app.add_flag("-f,--follow", m_follow, "Keep streaming new lines until the job ends (Ctrl-C stops watching, not the job)");
    app.add_option("--attempt", m_attempt, "Only what attempt N wrote (attempts restart after failures and lost hosts)")
        ->check(CLI::PositiveNumber)
        ->excludes("--follow");
  }

  Result<int> run(CommandContext& context) override {
    auto record = run::find_run(context.global.project_dir, m_run);
    if (!record) return std::move(record).error();
    return run::show_logs(*record, m_follow, m_attempt, context.out);
  }

 private:
  std::string m_run;
  bool m_follow = false;
  std::optional<int> m_attempt;
};

}  // namespace

std::unique_ptr<Command> make_logs_command() { return std::make_unique<LogsCommand>(); }

}  // namespace choline::cli
