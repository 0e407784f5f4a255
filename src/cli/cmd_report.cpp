#include <choline/cli/command.hpp>
#include <choline/records/metrics.hpp>
#include <choline/records/paths.hpp>
#include <choline/records/run_record.hpp>
#include <choline/records/sweep_record.hpp>
#include <choline/report/model_card_files.hpp>
#include <choline/report/report_html.hpp>
#include <choline/report/sweep_report.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <map>
#include <ostream>

extern char** environ;

namespace choline::cli {

namespace {

// xdg-open if it is on PATH, with its output out of the way; false if it is missing or failed.
bool open_with_xdg(const std::string& path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::string program = "xdg-open";
  std::vector<char*> argv = {program.data(), const_cast<char*>(path.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class ReportCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id or a unique part of it (default: the latest run)");
    app.add_option("-o,--output", m_output, "Where to write the HTML file (default: .choline/runs/<run>/report.html)");
    app.add_flag("--open", m_open, "Open the report with xdg-open (without it, the path is printed)");
  }

  Result<int> run(CommandContext& context) override {
    auto record = records::find_run(context.global.project_dir, m_run);
    // A sweep's id (its trials' run ids contain it, so an exact id wins over them): the sweep's page.
    if (!m_run.empty()) {
      if (auto sweep = records::find_sweep(context.global.project_dir, m_run); sweep && (sweep->id == m_run || !record))
        return sweep_report(*sweep, context);
    }
    if (!record) return std::move(record).error();
    const auto history = records::load_metrics(record->metrics_file());
    const auto cards = report::load_model_cards(*record);
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string html = report::render_report_html({*record, history, cards, now, util::now_iso8601()});
    const std::filesystem::path output =
        m_output.empty() ? record->dir / "report.html" : std::filesystem::path(m_output);
    if (auto ok = util::write_file_atomic(output, html); !ok) return ok.error();
    const std::string shown = std::filesystem::absolute(output).lexically_normal().string();
    if (m_open && open_with_xdg(shown)) {
      context.out << "opened " << shown << "\n";
      return 0;
    }
    if (m_open) spdlog::info("xdg-open is not available here; open the file in a browser");
    context.out << shown << "\n";
    return 0;
  }

 private:
  Result<int> sweep_report(const records::SweepRecord& sweep, CommandContext& context) {
    std::map<int, std::vector<records::MetricPoint>> histories;
    for (const auto& trial : sweep.trials) {
      histories[trial.id] =
          records::load_metrics(records::runs_dir(sweep.project_dir) / trial.run_id / "metrics.jsonl");
    }
    std::vector<nlohmann::json> best_cards;
    if (const auto best = report::sweep_best_trial(sweep)) {
      // A trial whose run record cannot be read still has its charts; the page says it has no card.
      if (auto run = records::load_run(records::runs_dir(sweep.project_dir) / sweep.trial(*best)->run_id))
        best_cards = report::load_model_cards(*run);
    }
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string html =
        report::render_sweep_report_html({sweep, histories, now, util::now_iso8601(), std::move(best_cards)});
    const std::filesystem::path output = m_output.empty() ? sweep.dir / "report.html" : std::filesystem::path(m_output);
    if (auto ok = util::write_file_atomic(output, html); !ok) return ok.error();
    const std::string shown = std::filesystem::absolute(output).lexically_normal().string();
    if (m_open && open_with_xdg(shown)) {
      context.out << "opened " << shown << "\n";
      return 0;
    }
    context.out << shown << "\n";
    return 0;
  }

  std::string m_run;
  std::string m_output;
  bool m_open = false;
};

}  // namespace

std::unique_ptr<Command> make_report_command() {
  return std::make_unique<ReportCommand>();
}

}  // namespace choline::cli
