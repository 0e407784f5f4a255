#include <choline/report/text_chart.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace choline::report {

std::vector<std::optional<TextChartBin>> bin_by_step(const std::vector<SeriesPoint>& points, int columns) {
  if (points.empty() || columns < 1) return {};
  std::vector<std::optional<TextChartBin>> bins(static_cast<std::size_t>(columns));
  const auto [lowest, highest] = std::minmax_element(
      points.begin(), points.end(), [](const SeriesPoint& a, const SeriesPoint& b) { return a.step < b.step; });
  const double first = static_cast<double>(lowest->step);
  const double span = static_cast<double>(highest->step) - first;
  std::vector<double> sums(bins.size(), 0.0);
  for (const auto& point : points) {
    // Steps are integers: the range first..last holds span + 1 of them, split into equal parts.
    const double position = (static_cast<double>(point.step) - first) / (span + 1) * columns;
    const auto column =
        static_cast<std::size_t>(std::clamp(static_cast<int>(std::floor(position + 1e-9)), 0, columns - 1));
    auto& bin = bins[column];
    if (!bin) {
      bin = TextChartBin{point.step, point.step, 0, 0, point.attempt};
    }
    bin->first_step = std::min(bin->first_step, point.step);
    if (point.step >= bin->last_step) {
      bin->last_step = point.step;
      bin->attempt = point.attempt;
    }
    sums[column] += point.value;
    ++bin->count;
  }
  for (std::size_t k = 0; k < bins.size(); ++k) {
    if (bins[k]) bins[k]->mean = sums[k] / static_cast<double>(bins[k]->count);
  }
  return bins;
}

int row_for(double value, double lo, double hi, int rows) {
  if (rows <= 1) return 0;
  if (!(hi > lo)) return (rows - 1) / 2;
  const double fraction = (hi - value) / (hi - lo);
  return std::clamp(static_cast<int>(std::lround(fraction * (rows - 1))), 0, rows - 1);
}

char attempt_marker(int attempt) {
  static constexpr char k_markers[] = {'*', 'o', '+', 'x', '#', '@'};
  const int index = ((attempt - 1) % 6 + 6) % 6;
  return k_markers[index];
}

std::vector<std::string> render_text_chart(const std::vector<SeriesPoint>& points, TextChartSize size) {
  const int width = std::max(size.width, 2);
  const int height = std::max(size.height, 2);
  const auto bins = bin_by_step(points, width);
  if (bins.empty()) return {};
  double lo = 0, hi = 0;
  bool any = false;
  std::set<int> attempts;
  for (const auto& bin : bins) {
    if (!bin) continue;
    lo = any ? std::min(lo, bin->mean) : bin->mean;
    hi = any ? std::max(hi, bin->mean) : bin->mean;
    any = true;
    attempts.insert(bin->attempt);
  }
  std::vector<std::string> grid(static_cast<std::size_t>(height), std::string(static_cast<std::size_t>(width), ' '));
  for (std::size_t column = 0; column < bins.size(); ++column) {
    if (!bins[column]) continue;
    grid[static_cast<std::size_t>(row_for(bins[column]->mean, lo, hi, height))][column] =
        attempt_marker(bins[column]->attempt);
  }
  // Labels at the top, bottom and middle rows; the middle one only when it says something new.
  std::vector<std::string> labels(static_cast<std::size_t>(height));
  labels.front() = fmt::format("{:.4g}", hi);
  if (hi > lo) labels.back() = fmt::format("{:.4g}", lo);
  if (height >= 5 && hi > lo)
    labels[static_cast<std::size_t>(height / 2)] = fmt::format("{:.4g}", hi - (hi - lo) * (height / 2) / (height - 1));
  std::size_t gutter = 0;
  for (const auto& label : labels) gutter = std::max(gutter, label.size());

  std::vector<std::string> lines;
  for (int row = 0; row < height; ++row) {
    const auto& label = labels[static_cast<std::size_t>(row)];
    std::string line = std::string(gutter - label.size(), ' ') + label + " |" + grid[static_cast<std::size_t>(row)];
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(line);
  }
  lines.push_back(std::string(gutter, ' ') + " +" + std::string(static_cast<std::size_t>(width), '-'));
  const std::string first = std::to_string(points.front().step);
  const std::string last = std::to_string(points.back().step);
  std::string axis = std::string(gutter + 2, ' ') + first;
  if (last != first) {
    const std::size_t last_at = gutter + 2 + static_cast<std::size_t>(width) - last.size();
    axis += std::string(last_at > axis.size() ? last_at - axis.size() : 1, ' ') + last;
  }
  axis += "  step";
  lines.push_back(axis);
  std::string legend = std::string(gutter + 2, ' ');
  for (int attempt : attempts) legend += fmt::format("{} attempt {}   ", attempt_marker(attempt), attempt);
  while (!legend.empty() && legend.back() == ' ') legend.pop_back();
  lines.push_back(legend);
  return lines;
}

}  // namespace choline::report
