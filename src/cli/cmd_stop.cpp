#include <choline/cli/command.hpp>
#include <choline/run/controller.hpp>

#include <CLI/CLI.hpp>

namespace choline::cli {

namespace {

class StopCommand final : public Command {
 public:
  void define(CLI::App& app) override { app.add_option("RUN", m_run, "Run id or a unique part of it")->required(); }

  Result<int> run(CommandContext& context) override {
    auto record = run::find_run(context.global.project_dir, m_run);
    if (!record) return std::move(record).error();
    return run::stop(*record, context.out);
  }

 private:
  std::string m_run;
};

}  // namespace

std::unique_ptr<Command> make_stop_command() { return std::make_unique<StopCommand>(); }

}  // namespace choline::cli
