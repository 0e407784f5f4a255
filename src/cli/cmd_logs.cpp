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
  }

  Result<int> run(CommandContext& context) override {
    auto record = run::find_run(context.global.project_dir, m_run);
    if (!record) return std::move(record).error();
    return run::show_logs(*record, m_follow, context.out);
  }

 private:
  std::string m_run;
  bool m_follow = false;
};

}  // namespace

std::unique_ptr<Command> make_logs_command() { return std::make_unique<LogsCommand>(); }

}  // namespace choline::cli
