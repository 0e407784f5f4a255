// The sweep's HTML page: every trial's metric over steps (stopped ones grey, the best red), a
// chart per parameter, parallel coordinates, the table best first, and nothing unescaped.
#include <choline/report/sweep_report.hpp>

#include <catch2/catch.hpp>

#include <regex>

using namespace choline;

namespace {

records::MetricPoint metric_at(std::int64_t step, double acc) {
  records::MetricPoint point;
  point.step = step;
  point.values = {{"step", step}, {"acc", acc}};
  return point;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

}  // namespace

TEST_CASE("Sweep report draws every trial, greys the stopped ones, highlights the best, escapes params",
          "[report][sweep]") {
  records::SweepRecord sweep;
  sweep.id = "sweep-r";
  sweep.metric = "acc";
  sweep.maximize = true;
  sweep.max_trials = 3;
  sweep.parallel = 2;
  const auto add = [&](int id, double lr, const std::string& act, records::TrialStatus state, double best) {
    records::TrialRecord trial;
    trial.id = id;
    trial.params = {{"lr", lr}, {"act", act}};
    trial.state = state;
    trial.best = best;
    trial.latest = best;
    sweep.trials.push_back(trial);
  };
  add(1, 1e-4, "relu", records::TrialStatus::finished, 0.7);
  add(2, 1e-2, "<script>alert(1)</script>", records::TrialStatus::finished, 0.9);
  add(3, 1e-1, "relu", records::TrialStatus::stopped, 0.4);
  sweep.trials[2].rung = 0;
  std::map<int, std::vector<records::MetricPoint>> histories;
  histories[1] = {metric_at(1, 0.5), metric_at(2, 0.6), metric_at(3, 0.7)};
  histories[2] = {metric_at(1, 0.6), metric_at(2, 0.8), metric_at(3, 0.9)};
  histories[3] = {metric_at(1, 0.4)};
  const std::string html = report::render_sweep_report_html({sweep, histories, 0, "now"});
  CHECK(count_of(html, "<path class=\"trial ") == 3);
  CHECK(html.find(R"(<path class="trial best" data-trial="2")") != std::string::npos);
  CHECK(html.find(
            R"(<path class="trial stopped" data-trial="3" data-state="stopped" data-points="1" data-last-step="1")") !=
        std::string::npos);
  CHECK(count_of(html, "class=\"stop-mark\"") == 1);
  // A chart per parameter (lr spans three decades: log scale), and parallel coordinates.
  CHECK(html.find(R"(data-param="lr")") != std::string::npos);
  CHECK(html.find("lr (log scale)") != std::string::npos);
  CHECK(html.find(R"(data-param="act")") != std::string::npos);
  CHECK(count_of(html, "class=\"pc\"") == 3);
  // The table best first, and nothing from a trial unescaped.
  const auto first_row = html.find("<tr data-trial=");
  REQUIRE(first_row != std::string::npos);
  CHECK(html.compare(first_row, 18, "<tr data-trial=\"2\"") == 0);
  CHECK(html.find("stopped early at rung 0") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("&lt;script&gt;") != std::string::npos);
  CHECK(html.find("Content-Security-Policy") != std::string::npos);
}
