#include <choline/report/report_html.hpp>
#include <choline/report/timeline_svg.hpp>

#include <catch2/catch.hpp>

#include <regex>

using namespace choline::records;
using namespace choline::report;
using nlohmann::json;

namespace {

const std::string k_hostile = "<script>alert(1)</script>";

std::size_t count(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return static_cast<std::size_t>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

RunRecord hostile_record() {
  RunRecord record;
  record.id = "20261201-101010-tr-abcd";
  record.project_dir = "/p";
  record.dir = "/p/.choline/runs/20261201-101010-tr-abcd";
  record.created_at = "2026-12-01T10:00:00.000Z";
  record.state = RunState::succeeded;
  record.command = {"python3", "tr.py", k_hostile};
  record.entry = "tr.py";
  HostRecord host;
  host.node = 0;
  host.host.provider = "vast";
  host.host.id = "<img src=x onerror=alert(2)>";
  host.host.address = "\"><script>alert(3)</script>";
  host.host.gpu = "RTX3090";
  host.host.price_per_hour = 0.5;
  host.state = HostState::released;
  host.released_because = "lost: " + k_hostile;
  record.hosts = {host};
  record.host_losses = {{0, host.host.id, k_hostile, "2026-12-01T10:01:00.000Z"}};
  record.attempts = {{1, "2026-12-01T10:00:01.000Z", "2026-12-01T10:01:00.000Z", "", 1, k_hostile},
                     {2, "2026-12-01T10:01:10.000Z", "2026-12-01T10:02:00.000Z", "checkpoints/</pre><script>x</script>",
                      0, "succeeded"}};
  record.events = json::array({
      {{"type", "created"}, {"at", "2026-12-01T10:00:00.000Z"}},
      {{"type", "host_created"}, {"node", 0}, {"id", host.host.id}, {"at", "2026-12-01T10:00:00.500Z"}},
      {{"type", "attempt_started"}, {"attempt", 1}, {"at", "2026-12-01T10:00:01.000Z"}},
      {{"type", "host_lost"},
       {"node", 0},
       {"id", host.host.id},
       {"reason", k_hostile},
       {"at", "2026-12-01T10:01:00.000Z"}},
      {{"type", "host_released"}, {"node", 0}, {"id", host.host.id}, {"at", "2026-12-01T10:01:01.000Z"}},
      {{"type", "attempt_started"}, {"attempt", 2}, {"at", "2026-12-01T10:01:10.000Z"}},
      {{"type", "finished"}, {"state", "succeeded"}, {"at", "2026-12-01T10:02:00.000Z"}, {k_hostile, k_hostile}},
  });
  return record;
}

}  // namespace

TEST_CASE("The report escapes every string from runs, hosts and metrics and runs no script", "[run][report]") {
  const RunRecord record = hostile_record();
  std::vector<MetricPoint> history;
  for (int step = 0; step < 10; ++step) {
    history.push_back(
        {step < 5 ? 1 : 2, step, {{"step", step}, {"loss", 1.0 / (step + 1)}, {k_hostile, step}, {"note", k_hostile}}});
  }
  const std::vector<json> cards = {{{"checkpoint", {{"name", k_hostile}}}, {"purpose", k_hostile}}};
  const std::string html = render_report_html({record, history, cards, 0, "now"});
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("&quot;&gt;&lt;script&gt;alert(3)") != std::string::npos);  // the address cannot close an attribute
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("Content-Security-Policy") != std::string::npos);
  CHECK(html.find("default-src 'none'") != std::string::npos);
  // Nothing is loaded from elsewhere.
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
}

TEST_CASE("The report charts every metric with its points, attempts and boundaries", "[run][report]") {
  const RunRecord record = hostile_record();
  std::vector<MetricPoint> history;
  for (int step = 0; step < 10; ++step) {
    json values = {{"step", step}, {"loss", 1.0 / (step + 1)}};
    if (step % 3 == 0) values["accuracy"] = step / 10.0;
    history.push_back({step < 5 ? 1 : 2, step, values});
  }
  const std::string html = render_report_html({record, history, {}, 0, "now"});
  CHECK(count(html, "<svg class=\"chart\"") == 2);
  CHECK(html.find("data-metric=\"loss\" data-points=\"10\"") != std::string::npos);
  CHECK(html.find("data-metric=\"accuracy\" data-points=\"4\"") != std::string::npos);
  CHECK(html.find("data-metric=\"loss\"") < html.find("data-metric=\"accuracy\""));  // the loss leads
  CHECK(count(html, "<circle class=\"pt") == 14);
  CHECK(count(html, "class=\"mark host-lost\"") == 2);  // attempt 2 began after a host loss, on both charts
  CHECK(count(html, "<rect class=\"band") == 4);
  CHECK(html.find("class=\"timeline\"") != std::string::npos);
  CHECK(html.find("duration</dt><dd>2 min 0 s") != std::string::npos);
  CHECK(html.find("$0.01") != std::string::npos);  // 61 s of a $0.50/h host
}

TEST_CASE("A report without metrics says how to emit them", "[run][report]") {
  const RunRecord record = hostile_record();
  const std::string html = render_report_html({record, {}, {}, 0, "now"});
  CHECK(html.find("choline-metrics: {&quot;step&quot;") != std::string::npos);
  CHECK(count(html, "<svg class=\"chart\"") == 0);
}

TEST_CASE("The timeline has a row for attempts and one per host, with the loss marked", "[run][report]") {
  const RunRecord record = hostile_record();
  const double end = report_end_epoch(record, 1e12);
  const auto g = timeline_geometry(record, end);
  REQUIRE(g.rows.size() == 2);
  REQUIRE(g.bars.size() == 3);
  CHECK(g.bars[0].row == 0);
  CHECK(g.bars[2].row == 1);
  CHECK(g.bars[2].css == "host lost");
  CHECK(g.bars[0].x0 < g.bars[1].x0);
  CHECK(g.bars[1].x1 <= g.box.plot_right() + 1e-9);
  REQUIRE(g.marks.size() == 1);
  CHECK(g.unit == "s");
  const std::string svg = render_timeline_svg(g);
  CHECK(svg.find("<img") == std::string::npos);
  CHECK(svg.find("<script") == std::string::npos);
}
