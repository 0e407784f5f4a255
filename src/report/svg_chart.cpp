#include <choline/report/svg_chart.hpp>

#include <choline/util/html.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace choline::report {

namespace {

// Shortest text that reads back as the same double: what data-value holds.
std::string exact(double value) {
  return fmt::format("{}", value);
}

// Coordinates: two decimals are far below a pixel.
}  // namespace

std::string svg_coord(double value) {
  return fmt::format("{:.2f}", value);
}

double nice_number(double x, bool round) {
  const double exponent = std::floor(std::log10(x));
  const double fraction = x / std::pow(10.0, exponent);
  double nice = 10;
  if (round) {
    nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  } else {
    nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  }
  return nice * std::pow(10.0, exponent);
}

Ticks nice_ticks(double min, double max, int target, bool integral) {
  if (!std::isfinite(min) || !std::isfinite(max)) min = 0, max = 1;
  if (min > max) std::swap(min, max);
  if (max - min <= std::abs(max) * 1e-12) {
    const double widen = integral ? 1.0 : (min == 0 ? 1.0 : std::abs(min) * 0.1);
    min -= widen;
    max += widen;
  }
  target = std::max(target, 2);
  // Heckbert first rounds the range up to a nice number, which can halve the tick count (0.2..2.3
  // gets ticks 0, 1, 2, 3); spacing the data's own range gives the target more closely.
  double spacing = nice_number((max - min) / (target - 1), true);
  if (integral) spacing = std::max(spacing, 1.0);
  Ticks ticks;
  ticks.spacing = spacing;
  ticks.lo = std::floor(min / spacing) * spacing;
  ticks.hi = std::ceil(max / spacing) * spacing;
  const auto count = static_cast<int>(std::lround((ticks.hi - ticks.lo) / spacing));
  for (int k = 0; k <= count; ++k) ticks.values.push_back(ticks.lo + k * spacing);
  return ticks;
}

std::string tick_label(double value, double spacing) {
  if (std::abs(value) < spacing * 1e-9) value = 0;  // -0 and 1e-17 from accumulated steps
  const double magnitude = std::max(std::abs(value), spacing);
  if (magnitude >= 1e6 || magnitude < 1e-4) return fmt::format("{:.3g}", value);
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(spacing) + 1e-9)));
  return fmt::format("{:.{}f}", value, decimals);
}

double LinearScale::operator()(double value) const {
  if (domain_hi == domain_lo) return (range_lo + range_hi) / 2;
  return range_lo + (value - domain_lo) / (domain_hi - domain_lo) * (range_hi - range_lo);
}

bool drawn_when_thinned(std::size_t index, std::size_t count, std::size_t max_points) {
  const std::size_t stride = max_points == 0 ? 1 : (count + max_points - 1) / max_points;
  return stride <= 1 || index % stride == 0 || index + 1 == count;
}

ChartGeometry chart_geometry(const std::vector<SeriesPoint>& series, const std::vector<AttemptSpan>& spans,
                             const std::vector<AttemptBoundary>& boundaries, ChartBox box, std::size_t max_points) {
  ChartGeometry g;
  g.box = box;
  g.total_points = series.size();
  if (series.empty()) return g;

  double first_step = static_cast<double>(series.front().step), last_step = static_cast<double>(series.back().step);
  if (!spans.empty()) {
    first_step = std::min(first_step, static_cast<double>(spans.front().first_step));
    last_step = std::max(last_step, static_cast<double>(spans.back().last_step));
  }
  double lowest = series.front().value, highest = series.front().value;
  for (const auto& point : series) {
    lowest = std::min(lowest, point.value);
    highest = std::max(highest, point.value);
  }
  const Ticks x_ticks = nice_ticks(first_step, last_step, 7, /*integral=*/true);
  const Ticks y_ticks = nice_ticks(lowest, highest, 5);
  // The step axis ends at the data (a loose "nice" end would leave an empty stretch that looks
  // like missing steps); the value axis ends at its outer ticks.
  const double x_lo = first_step == last_step ? x_ticks.lo : first_step;
  const double x_hi = first_step == last_step ? x_ticks.hi : last_step;
  const LinearScale x{x_lo, x_hi, box.plot_left(), box.plot_right()};
  const LinearScale y{y_ticks.lo, y_ticks.hi, box.plot_bottom(), box.plot_top()};
  for (double value : x_ticks.values) {
    if (value < x_lo - 1e-9 || value > x_hi + 1e-9) continue;
    g.x_ticks.push_back({value, x(value), tick_label(value, x_ticks.spacing)});
  }
  for (double value : y_ticks.values) g.y_ticks.push_back({value, y(value), tick_label(value, y_ticks.spacing)});

  for (std::size_t k = 0; k < series.size(); ++k) {
    if (!drawn_when_thinned(k, series.size(), max_points)) continue;
    const auto& p = series[k];
    g.points.push_back({p.step, p.value, p.attempt, x(static_cast<double>(p.step)), y(p.value)});
  }

  for (std::size_t k = 0; k < spans.size(); ++k) {
    const double begin = static_cast<double>(spans[k].first_step);
    const double end =
        k + 1 < spans.size() ? static_cast<double>(spans[k + 1].first_step) : static_cast<double>(spans[k].last_step);
    const double x0 = std::clamp(x(begin), box.plot_left(), box.plot_right());
    const double x1 = std::clamp(x(end), box.plot_left(), box.plot_right());
    if (x1 > x0 || spans.size() == 1) g.bands.push_back({spans[k].attempt, x0, std::max(x1, x0)});
  }
  for (const auto& boundary : boundaries) {
    const auto span =
        std::find_if(spans.begin(), spans.end(), [&](const AttemptSpan& s) { return s.attempt >= boundary.attempt; });
    if (span == spans.end()) continue;
    const auto step = static_cast<double>(span->first_step);
    if (step < x_lo || step > x_hi) continue;
    g.marks.push_back({boundary.attempt, boundary.kind, boundary.reason, span->first_step, x(step)});
  }
  return g;
}

std::string render_svg_chart(const ChartGeometry& g, const std::string& metric) {
  const ChartBox& b = g.box;
  const std::string name = util::html_escape(metric);
  std::string svg = fmt::format(
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" "
      "role=\"img\" aria-label=\"{2} over steps\" data-metric=\"{2}\" data-points=\"{3}\" data-total-points=\"{4}\"",
      svg_coord(b.width), svg_coord(b.height), name, g.points.size(), g.total_points);
  if (!g.points.empty()) {
    svg += fmt::format(" data-first-step=\"{}\" data-first-value=\"{}\" data-last-step=\"{}\" data-last-value=\"{}\"",
                       g.points.front().step, exact(g.points.front().value), g.points.back().step,
                       exact(g.points.back().value));
  }
  svg += ">\n<title>" + name + " over steps</title>\n";
  const double top = b.plot_top(), bottom = b.plot_bottom(), left = b.plot_left(), right = b.plot_right();

  for (const auto& band : g.bands) {
    svg += fmt::format("<rect class=\"band a{}\" data-attempt=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n",
                       (band.attempt - 1) % 6 + 1, band.attempt, svg_coord(band.x0), svg_coord(top),
                       svg_coord(band.x1 - band.x0), svg_coord(bottom - top));
    if (g.bands.size() > 1 && band.x1 - band.x0 > 50) {
      svg += fmt::format("<text class=\"band-label\" x=\"{}\" y=\"{}\">attempt {}</text>\n", svg_coord(band.x0 + 4),
                         svg_coord(top + 12), band.attempt);
    }
  }
  for (const auto& tick : g.y_ticks) {
    svg += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\"/>"
        "<text class=\"tick y\" x=\"{3}\" y=\"{4}\">{5}</text>\n",
        svg_coord(left), svg_coord(right), svg_coord(tick.position), svg_coord(left - 6), svg_coord(tick.position + 4),
        util::html_escape(tick.label));
  }
  for (const auto& tick : g.x_ticks) {
    svg += fmt::format(
        "<line class=\"tick-mark\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
        "<text class=\"tick x\" x=\"{0}\" y=\"{3}\">{4}</text>\n",
        svg_coord(tick.position), svg_coord(bottom), svg_coord(bottom + 5), svg_coord(bottom + 18),
        util::html_escape(tick.label));
  }
  svg += fmt::format(
      "<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
      "<line class=\"axis\" x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\"/>\n",
      svg_coord(left), svg_coord(top), svg_coord(bottom), svg_coord(right));
  svg += fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\">step</text>\n", svg_coord((left + right) / 2),
                     svg_coord(b.height - 6));
  svg += fmt::format("<text class=\"chart-title\" x=\"{}\" y=\"{}\">{}</text>\n", svg_coord(left), svg_coord(top - 12),
                     name);

  // One line per run of consecutive points of the same attempt: an attempt that re-ran steps
  // starts a new line rather than joining the previous attempt's last point.
  for (std::size_t start = 0; start < g.points.size();) {
    std::size_t end = start;
    while (end < g.points.size() && g.points[end].attempt == g.points[start].attempt) ++end;
    std::string path;
    for (std::size_t k = start; k < end; ++k)
      path += (k == start ? "" : " ") + svg_coord(g.points[k].x) + "," + svg_coord(g.points[k].y);
    svg += fmt::format("<polyline class=\"line a{}\" points=\"{}\"/>\n", (g.points[start].attempt - 1) % 6 + 1, path);
    start = end;
  }
  for (const auto& mark : g.marks) {
    const std::string kind = mark.kind == BoundaryKind::host_lost ? "host-lost"
                             : mark.kind == BoundaryKind::resumed ? "resumed"
                                                                  : "restart";
    svg += fmt::format(
        "<g class=\"mark {0}\" data-attempt=\"{1}\" data-step=\"{2}\"><title>attempt {1}: {3}: {4}</title>"
        "<line x1=\"{5}\" y1=\"{6}\" x2=\"{5}\" y2=\"{7}\"/><text x=\"{8}\" y=\"{9}\">{3}</text></g>\n",
        kind, mark.attempt, mark.step, to_string(mark.kind), util::html_escape(mark.reason), svg_coord(mark.x),
        svg_coord(top), svg_coord(bottom), svg_coord(mark.x + 3), svg_coord(top + 24));
  }
  const double radius = g.points.size() > 300 ? 1.2 : 2.2;
  for (const auto& p : g.points) {
    svg += fmt::format(
        "<circle class=\"pt a{0}\" cx=\"{1}\" cy=\"{2}\" r=\"{3}\" data-step=\"{4}\" data-value=\"{5}\" "
        "data-attempt=\"{6}\"><title>step {4}: {5} (attempt {6})</title></circle>\n",
        (p.attempt - 1) % 6 + 1, svg_coord(p.x), svg_coord(p.y), radius, p.step, exact(p.value), p.attempt);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace choline::report
