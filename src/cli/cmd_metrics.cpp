#include <choline/cli/command.hpp>
#include <choline/records/metrics.hpp>
#include <choline/records/run_record.hpp>
#include <choline/report/metric_series.hpp>
#include <choline/report/run_timeline.hpp>
#include <choline/report/text_chart.hpp>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <ostream>

namespace choline::cli {

namespace {

std::string value_text(const nlohmann::json& value) {
  if (value.is_number_float()) return fmt::format("{:.6g}", value.get<double>());
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

class MetricsCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id or a unique part of it (default: the latest run)");
    app.add_flag("--json", m_json, "Print the latest values and the merged history as JSON");
    app.add_option("--metric", m_metric, "The metric to chart (default: the loss)");
    app.add_option("--width", m_width, "Chart width in columns")->check(CLI::Range(10, 400));
  }

  Result<int> run(CommandContext& context) override {
    auto record = records::find_run(context.global.project_dir, m_run);
    if (!record) return std::move(record).error();
    const auto history = records::load_metrics(record->metrics_file());
    if (m_json) return print_json(*record, history, context.out);
    if (history.empty()) {
      context.out << "run " << record->id << " has no metrics yet.\n"
                  << "Workers report them by printing one JSON object per line with an integral \"step\", e.g.\n"
                  << "  print('choline-metrics: ' + json.dumps({\"step\": step, \"loss\": loss.item()}), flush=True)\n"
                  << "(rank 0's lines count; choline merges them across attempts into "
                  << record->metrics_file().string() << ").\n";
      return 0;
    }
    const auto spans = report::attempt_spans(history);
    context.out << fmt::format("run {}: {} points, steps {}..{}, attempts", record->id, history.size(),
                               history.front().step, history.back().step);
    for (const auto& span : spans)
      context.out << fmt::format(" {} (steps {}..{})", span.attempt, span.first_step, span.last_step);
    context.out << "\n\n";

    const auto latest = report::latest_values(history);
    std::size_t width = 6;
    for (const auto& [name, value] : latest) width = std::max(width, name.size());
    context.out << fmt::format("{:<{}}  {:>12}  {:>8}  {:>7}  {:>6}\n", "METRIC", width, "LATEST", "STEP", "ATTEMPT",
                               "POINTS");
    for (const auto& [name, value] : latest) {
      context.out << fmt::format("{:<{}}  {:>12}  {:>8}  {:>7}  {:>6}\n", name, width, value_text(value.value),
                                 value.step, value.attempt, value.count);
    }

    const auto names = report::metric_names(history);
    const std::optional<std::string> charted = m_metric.empty() ? report::loss_metric(names) : std::optional(m_metric);
    if (!charted) return 0;
    const auto series = report::series_of(history, *charted);
    if (series.empty()) {
      context.out << "\nno numeric values of \"" << *charted << "\" to chart\n";
      return m_metric.empty() ? 0 : 1;
    }
    context.out << "\n" << *charted << " over steps (mean per column):\n";
    for (const auto& line : report::render_text_chart(series, {m_width, 10})) context.out << line << "\n";
    return 0;
  }

 private:
  static Result<int> print_json(const records::RunRecord& record, const std::vector<records::MetricPoint>& history,
                                std::ostream& out) {
    nlohmann::json latest = nlohmann::json::object();
    for (const auto& [name, value] : report::latest_values(history)) {
      latest[name] = {
          {"value", value.value}, {"step", value.step}, {"attempt", value.attempt}, {"points", value.count}};
    }
    nlohmann::json spans = nlohmann::json::array();
    for (const auto& span : report::attempt_spans(history)) {
      spans.push_back({{"attempt", span.attempt},
                       {"first_step", span.first_step},
                       {"last_step", span.last_step},
                       {"points", span.points}});
    }
    nlohmann::json points = nlohmann::json::array();
    for (const auto& point : history) points.push_back(point.to_json());
    const auto names = report::metric_names(history);
    const auto loss = report::loss_metric(names);
    out << nlohmann::json{{"run", record.id},
                          {"metrics_file", record.metrics_file().string()},
                          {"loss_metric", loss ? nlohmann::json(*loss) : nlohmann::json(nullptr)},
                          {"latest", latest},
                          {"attempts", spans},
                          {"points", points}}
               .dump(2)
        << "\n";
    return 0;
  }

  std::string m_run;
  bool m_json = false;
  std::string m_metric;
  int m_width = 64;
};

}  // namespace

std::unique_ptr<Command> make_metrics_command() {
  return std::make_unique<MetricsCommand>();
}

}  // namespace choline::cli
