#include <choline/cli/command.hpp>
#include <choline/cli/run_flags.hpp>
#include <choline/run/run_commands.hpp>
#include <choline/run/orphans.hpp>
#include <choline/sweep/sweep_stop.hpp>

#include <CLI/CLI.hpp>

namespace choline::cli {

namespace {

class StopCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id or a unique part of it");
    app.add_flag(
        "--orphans", m_orphans,
        "Destroy instances labelled choline-* that no run of this project holds (a crashed laptop's leftovers)");
    app.add_option("--provider", m_provider, "With --orphans: vast, runpod, lambda or all (default all)");
  }

  Result<int> run(CommandContext& context) override {
    if (m_orphans) return run::destroy_orphans(context.global.project_dir, m_provider, context.out);
    if (m_run.empty()) return make_error(ErrorKind::usage, "choline stop needs a RUN (or --orphans)");
    auto record = records::find_run(context.global.project_dir, m_run);
    // A sweep's id stops the whole sweep: its trials and every host of its pool. (Its trials' run
    // ids contain it, so a sweep's exact id wins over the runs it matches.)
    if (auto sweep = records::find_sweep(context.global.project_dir, m_run); sweep && (sweep->id == m_run || !record))
      return sweep::stop_sweep(*sweep, context.out);
    if (!record) return std::move(record).error();
    return run::stop(*record, context.out, run_hooks());
  }

 private:
  std::string m_run;
  bool m_orphans = false;
  std::string m_provider = "all";
};

}  // namespace

std::unique_ptr<Command> make_stop_command() {
  return std::make_unique<StopCommand>();
}

}  // namespace choline::cli
