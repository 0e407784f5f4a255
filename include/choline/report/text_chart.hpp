#pragma once
// A small chart of one metric over steps for a terminal (`choline metrics`). Pure: the points
// in, the lines to print out.

#include <choline/report/metric_series.hpp>

#include <optional>
#include <string>
#include <vector>

namespace choline::report {

// The points that fall into one column of the chart.
struct TextChartBin {
  std::int64_t first_step = 0;
  std::int64_t last_step = 0;
  double mean = 0;
  std::size_t count = 0;
  int attempt = 1;  // of the bin's last point: a later attempt's values are the ones kept
};

// Splits the steps first..last of `points` into `columns` equal parts: the first step lands in
// column 0 and the last in column columns-1. Columns no point falls into are nullopt. Empty input (or
// columns < 1) gives an empty vector; a single distinct step fills column 0 only.
std::vector<std::optional<TextChartBin>> bin_by_step(const std::vector<SeriesPoint>& points, int columns);

// The row (0 = top, rows-1 = bottom) of `value` on a scale from `lo` (bottom) to `hi` (top),
// rounded to the nearest and clamped; the middle row when lo == hi.
int row_for(double value, double lo, double hi, int rows);

// The marker of an attempt's points: '*', 'o', '+', 'x', '#', '@', then again.
char attempt_marker(int attempt);

struct TextChartSize {
  int width = 60;   // plot columns, without the value labels
  int height = 10;  // plot rows
};

// The chart's lines: value labels on the left (top = highest bin mean, bottom = lowest), one
// marker per filled column in its attempt's character, the step axis, and a legend naming each
// attempt's marker. Empty when there are no points.
std::vector<std::string> render_text_chart(const std::vector<SeriesPoint>& points, TextChartSize size = {});

}  // namespace choline::report
