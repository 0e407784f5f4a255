// The sweep's HTML page: every trial's metric over steps (stopped ones grey, the best red, a
// resumed trial's repeated steps once), a chart per parameter, parallel coordinates with their
// values, the best trial's card of its best checkpoint, the table best first, nothing unescaped.
#include <choline/report/svg_chart.hpp>
#include <choline/report/sweep_report.hpp>

#include <catch2/catch.hpp>

#include <cmath>
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
  CHECK(
      html.find(
          R"(<path class="trial stopped" data-trial="3" data-state="stopped" data-points="1" data-total-points="1" data-last-step="1" data-last-value="0.4")") !=
      std::string::npos);
  CHECK(count_of(html, "class=\"stop-mark\"") == 1);
  // A chart per parameter (lr spans three decades: log scale), and parallel coordinates.
  CHECK(html.find(R"(data-param="lr")") != std::string::npos);
  CHECK(html.find("lr (log scale)") != std::string::npos);
  CHECK(html.find(R"(data-param="act")") != std::string::npos);
  CHECK(count_of(html, "<path class=\"pc") == 3);
  // The table best first, and nothing from a trial unescaped.
  const auto first_row = html.find("<tr data-trial=");
  REQUIRE(first_row != std::string::npos);
  CHECK(html.compare(first_row, 18, "<tr data-trial=\"2\"") == 0);
  CHECK(html.find("stopped early at rung 0") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("&lt;script&gt;") != std::string::npos);
  CHECK(html.find("Content-Security-Policy") != std::string::npos);
}

namespace {

records::SweepRecord two_trial_sweep() {
  records::SweepRecord sweep;
  sweep.id = "sweep-c";
  sweep.metric = "acc";
  sweep.maximize = true;
  for (int id : {1, 2}) {
    records::TrialRecord trial;
    trial.id = id;
    trial.run_id = "sweep-c-t" + std::to_string(id);
    trial.params = {{"lr", id == 1 ? 0.01 : 0.1}, {"act", id == 1 ? "relu" : "tanh"}};
    trial.state = records::TrialStatus::finished;
    trial.best = id == 1 ? 0.9 : 0.5;
    sweep.trials.push_back(trial);
  }
  return sweep;
}

nlohmann::json card_at(const std::string& checkpoint, std::optional<double> acc) {
  nlohmann::json values = {{"step", 1}};
  if (acc) values["acc"] = *acc;
  return {{"checkpoint", {{"name", checkpoint}}}, {"metrics", {{"step", 1}, {"values", values}}}};
}

}  // namespace

TEST_CASE("Sweep report draws a resumed trial's repeated steps once, the newest report winning", "[report][sweep]") {
  auto sweep = two_trial_sweep();
  std::map<int, std::vector<records::MetricPoint>> histories;
  // Attempt 1 reached step 3; attempt 2 resumed from the checkpoint of step 2.
  histories[1] = {metric_at(1, 0.5), metric_at(2, 0.6), metric_at(3, 0.7), metric_at(3, 0.8), metric_at(4, 0.9)};
  histories[1][3].attempt = histories[1][4].attempt = 2;
  const std::string html = report::render_sweep_report_html({sweep, histories, 0, "now"});
  CHECK(html.find(R"(data-trial="1" data-state="finished" data-points="4" data-total-points="4" data-last-step="4" )"
                  R"(data-last-value="0.9")") != std::string::npos);
}

TEST_CASE("Sweep report thins a long trial's line and keeps where it ended", "[report][sweep]") {
  auto sweep = two_trial_sweep();
  std::map<int, std::vector<records::MetricPoint>> histories;
  for (int step = 1; step <= 5001; ++step) histories[1].push_back(metric_at(step, step / 5001.0));
  const std::string html = report::render_sweep_report_html({sweep, histories, 0, "now"});
  const std::regex drawn(R"re(data-trial="1" data-state="finished" data-points="(\d+)" data-total-points="5001" )re"
                         R"re(data-last-step="5001" data-last-value="1")re");
  std::smatch match;
  REQUIRE(std::regex_search(html, match, drawn));
  CHECK(std::stoul(match[1].str()) <= report::k_max_drawn_points);
}

TEST_CASE("Sweep report's parallel coordinates write each axis' values and draw the best line last",
          "[report][sweep]") {
  auto sweep = two_trial_sweep();
  const std::string html = report::render_sweep_report_html({sweep, {}, 0, "now"});
  // act (categories), lr (numbers at its ends), acc (the best values at its ends).
  std::regex tick(R"re(<text class="pc-tick"[^>]*>([^<]*)</text>)re");
  std::vector<std::string> ticks;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tick); it != std::sregex_iterator(); ++it)
    ticks.push_back((*it)[1].str());
  CHECK(ticks == std::vector<std::string>{"relu", "tanh", "0.01", "0.1", "0.5", "0.9"});
  const auto best_line = html.find(R"(<path class="pc best" data-trial="1" data-value="0.9")");
  const auto other_line = html.find(R"(<path class="pc" data-trial="2" data-value="0.5")");
  REQUIRE(best_line != std::string::npos);
  REQUIRE(other_line != std::string::npos);
  CHECK(other_line < best_line);
  // Thicker through its style: the stylesheet's .pc rule would beat a stroke-width attribute.
  CHECK(html.find("stroke-width: 2.6\" d=", best_line) != std::string::npos);
}

TEST_CASE("Sweep report shows the best trial's card of its best checkpoint", "[report][sweep]") {
  auto sweep = two_trial_sweep();
  const std::map<int, std::vector<records::MetricPoint>> histories;
  report::SweepReportInputs inputs{sweep, histories, 0, "now"};

  SECTION("the card whose metrics hold the best value, the later one on a tie") {
    inputs.best_trial_cards = {card_at("step-1.pt", 0.7), card_at("step-2.pt", 0.9), card_at("step-3.pt", 0.9),
                               card_at("step-4.pt", 0.8), card_at("step-5.pt", std::nullopt)};
    const std::string html = report::render_sweep_report_html(inputs);
    CHECK(html.find(R"(<section class="card" data-trial="1" data-checkpoint="step-3.pt">)") != std::string::npos);
    CHECK(html.find("step-3.pt.card.json") != std::string::npos);
  }
  SECTION("cards without the metric: the last one") {
    inputs.best_trial_cards = {card_at("a.pt", std::nullopt), card_at("b.pt", std::nullopt)};
    const std::string html = report::render_sweep_report_html(inputs);
    CHECK(html.find(R"(<section class="card" data-trial="1" data-checkpoint="b.pt">)") != std::string::npos);
  }
  SECTION("no card: the page says none came home") {
    const std::string html = report::render_sweep_report_html(inputs);
    CHECK(html.find("<section class=\"card\"") == std::string::npos);
    CHECK(html.find("No checkpoint of trial 1 has come home") != std::string::npos);
  }
  SECTION("a card's text is escaped") {
    inputs.best_trial_cards = {card_at("<b>x</b>.pt", 0.9)};
    const std::string html = report::render_sweep_report_html(inputs);
    CHECK(html.find("<b>x</b>") == std::string::npos);
    CHECK(html.find("&lt;b&gt;x&lt;/b&gt;.pt") != std::string::npos);
  }
}

TEST_CASE("The sweep's best trial by its goal, none without a finite value", "[report][sweep]") {
  auto sweep = two_trial_sweep();
  CHECK(report::sweep_best_trial(sweep) == 1);
  sweep.maximize = false;
  CHECK(report::sweep_best_trial(sweep) == 2);
  sweep.trials[1].best = std::nan("");
  CHECK(report::sweep_best_trial(sweep) == 1);
  sweep.trials[0].best.reset();
  CHECK(report::sweep_best_trial(sweep) == std::nullopt);
}
