#pragma once
// Line charts of one metric over steps as inline SVG, for `choline report`. The geometry
// (scales, "nice" ticks, where each point lands, attempt bands, restart marks) is computed
// apart from the markup, both pure, so each can be tested on its own.

#include <choline/report/metric_series.hpp>
#include <choline/report/run_timeline.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace choline::report {

// Heckbert's nice numbers (Graphics Gems, 1990): the 1, 2, 5 or 10 times a power of ten
// nearest to `x` (round) or the smallest one >= x (!round). x must be > 0.
// A coordinate as SVG writes it: two decimals.
std::string svg_coord(double value);

double nice_number(double x, bool round);

struct Ticks {
  double lo = 0;  // the axis' ends, multiples of `spacing` around the data
  double hi = 1;
  double spacing = 1;
  std::vector<double> values;  // lo, lo + spacing, ..., hi
};

// About `target` ticks covering [min, max] with nice spacing. A degenerate range (min == max)
// is widened around the value first. With `integral`, spacing is at least 1 (steps).
Ticks nice_ticks(double min, double max, int target = 5, bool integral = false);

// A label for a tick with as many decimals as the spacing needs ("0.25", "1200", "1e+06").
std::string tick_label(double value, double spacing);

// Maps [domain_lo, domain_hi] onto [range_lo, range_hi] (range_lo > range_hi for y, which
// grows downwards in SVG). A zero-width domain maps everything to the middle of the range.
struct LinearScale {
  double domain_lo = 0, domain_hi = 1, range_lo = 0, range_hi = 1;
  double operator()(double value) const;
};

struct ChartBox {
  double width = 920, height = 280;
  double left = 70, right = 20, top = 34, bottom = 44;  // margins around the plot area
  double plot_left() const { return left; }
  double plot_right() const { return width - right; }
  double plot_top() const { return top; }
  double plot_bottom() const { return height - bottom; }
};

// Charts draw at most this many points; longer series are thinned evenly (first and last kept),
// and the chart says how many there were.
inline constexpr std::size_t k_max_drawn_points = 2000;

// Whether point `index` of `count` is drawn when a series is thinned evenly to about `max_points`
// (0: no limit): every stride-th point, and always the last (where the series ends).
bool drawn_when_thinned(std::size_t index, std::size_t count, std::size_t max_points = k_max_drawn_points);

struct PlotPoint {
  std::int64_t step = 0;
  double value = 0;
  int attempt = 1;
  double x = 0, y = 0;
};
struct AxisTick {
  double value = 0;
  double position = 0;  // x for the step axis, y for the value axis
  std::string label;
};
struct AttemptBand {
  int attempt = 1;
  double x0 = 0, x1 = 0;
};
struct BoundaryMark {
  int attempt = 2;  // the attempt that starts here
  BoundaryKind kind = BoundaryKind::restart;
  std::string reason;
  std::int64_t step = 0;
  double x = 0;
};

struct ChartGeometry {
  ChartBox box;
  std::vector<AxisTick> x_ticks, y_ticks;
  std::vector<PlotPoint> points;  // what is drawn, in step order
  std::size_t total_points = 0;   // in the series
  std::vector<AttemptBand> bands;
  std::vector<BoundaryMark> marks;
};

// Lays out `series` in `box`. `spans` (the whole run's, so every chart of a report shares its
// step axis and bands) set the step range; without spans the series' own range is used. Each
// boundary is marked where its attempt's points begin; boundaries outside the range are left out.
ChartGeometry chart_geometry(const std::vector<SeriesPoint>& series, const std::vector<AttemptSpan>& spans,
                             const std::vector<AttemptBoundary>& boundaries, ChartBox box = {},
                             std::size_t max_points = k_max_drawn_points);

// The chart as an <svg> element. Every text from the run (the metric's name, reasons) is
// escaped. Each point is a <circle class="pt"> with data-step, data-value and data-attempt
// (values in shortest round-trip form), and the <svg> carries data-metric, data-points,
// data-total-points and the first and last step and value, so tests can read the chart back.
std::string render_svg_chart(const ChartGeometry& geometry, const std::string& metric);

}  // namespace choline::report
