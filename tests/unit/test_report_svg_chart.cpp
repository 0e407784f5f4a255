#include <choline/report/svg_chart.hpp>

#include <catch2/catch.hpp>

#include <regex>

using namespace choline::report;

TEST_CASE("Nice numbers are 1, 2, 5 or 10 times a power of ten", "[run][chart]") {
  CHECK(nice_number(0.63, true) == Approx(0.5));
  CHECK(nice_number(0.73, true) == Approx(1.0));
  CHECK(nice_number(0.73, false) == Approx(1.0));
  CHECK(nice_number(1.6, true) == Approx(2.0));
  CHECK(nice_number(3.3, true) == Approx(5.0));
  CHECK(nice_number(7.5, true) == Approx(10.0));
  CHECK(nice_number(1234, false) == Approx(2000));
  CHECK(nice_number(0.004, true) == Approx(0.005));
}

TEST_CASE("Nice ticks cover the data with round spacing", "[run][chart]") {
  const Ticks loss = nice_ticks(0.213, 2.304, 5);
  CHECK(loss.spacing == Approx(0.5));
  CHECK(loss.lo == Approx(0.0));
  CHECK(loss.hi == Approx(2.5));
  REQUIRE(loss.values.size() == 6);
  CHECK(loss.values[1] == Approx(0.5));
  const Ticks steps = nice_ticks(0, 1873, 7, true);
  CHECK(steps.spacing == Approx(500));
  CHECK(steps.hi == Approx(2000));
  const Ticks tiny = nice_ticks(0, 3, 7, true);  // integral: never half steps
  CHECK(tiny.spacing >= 1);
  const Ticks flat = nice_ticks(0.5, 0.5, 5);  // widened around the value
  CHECK(flat.lo < 0.5);
  CHECK(flat.hi > 0.5);
  const Ticks negative = nice_ticks(-3.2, -1.1, 5);
  CHECK(negative.lo <= -3.2);
  CHECK(negative.hi >= -1.1);
}

TEST_CASE("Tick labels carry the decimals the spacing needs", "[run][chart]") {
  CHECK(tick_label(0.5, 0.5) == "0.5");
  CHECK(tick_label(2, 0.5) == "2.0");
  CHECK(tick_label(1500, 500) == "1500");
  CHECK(tick_label(0.25, 0.05) == "0.25");
  CHECK(tick_label(1e-17, 0.1) == "0.0");
  CHECK(tick_label(2e6, 1e6) == "2e+06");
}

TEST_CASE("A linear scale maps the domain onto the range, y upside down", "[run][chart]") {
  const LinearScale y{0, 10, 200, 0};
  CHECK(y(0) == Approx(200));
  CHECK(y(10) == Approx(0));
  CHECK(y(2.5) == Approx(150));
  CHECK(LinearScale{3, 3, 0, 100}(3) == Approx(50));
}

TEST_CASE("Chart geometry: first and last points at the plot's ends, values on the tick scale", "[run][chart]") {
  const std::vector<SeriesPoint> series = {{0, 2.0, 1}, {50, 1.0, 1}, {100, 0.5, 2}, {150, 0.25, 2}};
  const std::vector<AttemptSpan> spans = {{1, 0, 50, 2}, {2, 100, 150, 2}};
  const std::vector<AttemptBoundary> boundaries = {{2, BoundaryKind::host_lost, "node 1 h1: died", "t"}};
  const ChartBox box;
  const auto g = chart_geometry(series, spans, boundaries, box);
  REQUIRE(g.points.size() == 4);
  CHECK(g.total_points == 4);
  CHECK(g.points.front().x == Approx(box.plot_left()));
  CHECK(g.points.back().x == Approx(box.plot_right()));
  CHECK(g.points[1].x == Approx(box.plot_left() + (box.plot_right() - box.plot_left()) / 3));
  // y ticks 0, 0.5, ..., 2.0: 2.0 is the top of the plot, 0 its bottom.
  CHECK(g.y_ticks.front().label == "0.0");
  CHECK(g.y_ticks.back().label == "2.0");
  CHECK(g.points.front().y == Approx(box.plot_top()));
  CHECK(g.points[2].y == Approx(box.plot_bottom() - (box.plot_bottom() - box.plot_top()) / 4));
  REQUIRE(g.bands.size() == 2);
  CHECK(g.bands[0].x0 == Approx(box.plot_left()));
  CHECK(g.bands[0].x1 == Approx(g.points[2].x));  // attempt 1's band runs to where attempt 2 begins
  CHECK(g.bands[1].x1 == Approx(box.plot_right()));
  REQUIRE(g.marks.size() == 1);
  CHECK(g.marks[0].step == 100);
  CHECK(g.marks[0].x == Approx(g.points[2].x));
  for (const auto& tick : g.x_ticks) {
    CHECK(tick.position >= box.plot_left() - 1e-9);
    CHECK(tick.position <= box.plot_right() + 1e-9);
  }
}

TEST_CASE("Long series are thinned evenly, keeping the first and last points", "[run][chart]") {
  std::vector<SeriesPoint> series;
  for (int step = 0; step < 10001; ++step) series.push_back({step, 1.0 / (1 + step), 1});
  const auto g = chart_geometry(series, {}, {}, {}, 1000);
  CHECK(g.total_points == 10001);
  CHECK(g.points.size() <= 1001);
  CHECK(g.points.size() >= 900);
  CHECK(g.points.front().step == 0);
  CHECK(g.points.back().step == 10000);
  CHECK(chart_geometry({}, {}, {}).points.empty());
}

TEST_CASE("The SVG carries every point's data and escapes the metric's name", "[run][chart]") {
  const std::vector<SeriesPoint> series = {{0, 2.25, 1}, {10, 0.1, 1}, {20, 0.30000000000000004, 2}};
  const auto g =
      chart_geometry(series, {{1, 0, 10, 2}, {2, 20, 20, 1}}, {{2, BoundaryKind::restart, "rank <1> failed", "t"}});
  const std::string svg = render_svg_chart(g, "<script>alert(1)</script>");
  CHECK(svg.find("<script") == std::string::npos);
  CHECK(svg.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(svg.find("rank &lt;1&gt; failed") != std::string::npos);
  CHECK(svg.find("data-points=\"3\"") != std::string::npos);
  CHECK(svg.find("data-first-value=\"2.25\"") != std::string::npos);
  CHECK(svg.find("data-last-value=\"0.30000000000000004\"") != std::string::npos);  // round-trips exactly
  const std::regex circle("<circle class=\"pt");
  CHECK(std::distance(std::sregex_iterator(svg.begin(), svg.end(), circle), std::sregex_iterator()) == 3);
  CHECK(svg.find("class=\"mark restart\"") != std::string::npos);
  // Attempt 2 re-starts the line instead of joining attempt 1's last point.
  CHECK(svg.find("class=\"line a1\"") != std::string::npos);
  CHECK(svg.find("class=\"line a2\"") != std::string::npos);
}

TEST_CASE("Thinning keeps every stride-th point and the last, and nothing is dropped under the limit",
          "[report][chart]") {
  CHECK(drawn_when_thinned(7, 10, 10));
  CHECK(drawn_when_thinned(7, 10, 0));
  // 10 points to at most 4: stride 3, points 0, 3, 6, 9 (the last).
  std::vector<std::size_t> kept;
  for (std::size_t k = 0; k < 10; ++k) {
    if (drawn_when_thinned(k, 10, 4)) kept.push_back(k);
  }
  CHECK(kept == std::vector<std::size_t>{0, 3, 6, 9});
  CHECK(drawn_when_thinned(10, 11, 4));  // the last, off the stride
}
