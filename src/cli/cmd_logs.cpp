#include <choline/cli/command.hpp>
#include <choline/cli/run_flags.hpp>
#include <choline/logs/log_view.hpp>
#include <choline/run/run_commands.hpp>

#include <CLI/CLI.hpp>

namespace choline::cli {

namespace {

class LogsCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id or a unique part of it (default: the latest run)");
    app.add_flag("-f,--follow", m_follow,
                 "Keep streaming new lines until the job ends (Ctrl-C stops watching, not the job)");
    app.add_flag("--metrics,--show-metrics", m_view.show_metrics,
                 "Also show the workers' 'choline-metrics: {json}' lines (choline metrics RUN shows them as a table)");
    app.add_option("--rank", m_ranks, "Only these ranks' lines (repeatable: --rank 0 --rank 3)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--node", m_nodes, "Only these nodes' lines (repeatable)")->check(CLI::NonNegativeNumber);
    app.add_option("--attempt", m_attempt, "Only what attempt N wrote (attempts restart after failures and lost hosts)")
        ->check(CLI::PositiveNumber);
    app.add_option("--grep", m_grep,
                   "Only lines matching this regular expression (ECMAScript syntax, e.g. 'loss|acc')");
    app.add_option("--since", m_since,
                   "Only lines that reached this machine within this long, e.g. 90s, 10m, 2h, 1d, 1h30m");
  }

  Result<int> run(CommandContext& context) override {
    logs::LogQuery query;
    query.ranks.insert(m_ranks.begin(), m_ranks.end());
    query.nodes.insert(m_nodes.begin(), m_nodes.end());
    query.attempt = m_attempt;
    query.grep = m_grep;
    if (m_since) {
      query.since = logs::parse_since(*m_since);
      if (!query.since) {
        return make_error(ErrorKind::usage, "--since '" + *m_since +
                                                "' is not a duration; give a whole number and a unit s, m, h or d, "
                                                "e.g. --since 90s, 10m, 2h, 1d or 1h30m");
      }
    }
    auto record = records::find_run(context.global.project_dir, m_run);
    if (!record) return std::move(record).error();
    return run::show_logs(*record, m_follow, query, context.out, run_hooks(), m_view);
  }

 private:
  std::string m_run;
  bool m_follow = false;
  run::LiveView m_view;
  std::vector<int> m_ranks, m_nodes;
  std::optional<int> m_attempt;
  std::optional<std::string> m_grep;
  std::optional<std::string> m_since;
};

}  // namespace

std::unique_ptr<Command> make_logs_command() {
  return std::make_unique<LogsCommand>();
}

}  // namespace choline::cli
