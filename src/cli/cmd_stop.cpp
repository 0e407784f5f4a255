#include <choline/cli/command.hpp>

#include <CLI/CLI.hpp>

namespace choline::cli {

namespace {

class StopCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id to stop")->required();
  }
  Result<int> run(CommandContext&) override { return not_built_yet("stopping a run"); }

 private:
  std::string m_run;
};

}  // namespace

std::unique_ptr<Command> make_stop_command() { return std::make_unique<StopCommand>(); }

}  // namespace choline::cli
