#pragma once
// The timeline of a run for `choline report`: one row for its attempts and one per host it held,
// bars over wall-clock time from the journal, lost hosts marked. Pure, like svg_chart.hpp.

#include <choline/records/run_record.hpp>
#include <choline/report/svg_chart.hpp>

#include <string>
#include <vector>

namespace choline::report {

struct TimelineBar {
  int row = 0;            // 0: attempts; 1..: hosts in the order they were created
  std::string label;      // drawn on the bar when it is wide enough
  std::string title;      // the tooltip: what, when, why
  std::string css;        // "attempt a<N>", "host", "host lost"
  double x0 = 0, x1 = 0;  // seconds since the run was created, scaled
};

struct TimelineMark {
  int row = 0;
  double x = 0;
  std::string title;
};

struct TimelineGeometry {
  ChartBox box;
  double row_height = 24;
  std::vector<std::string> rows;  // labels, row 0 first
  std::vector<AxisTick> ticks;
  std::string unit;  // of the tick labels: "s", "min" or "h"
  std::vector<TimelineBar> bars;
  std::vector<TimelineMark> marks;  // host losses
};

// `end_epoch_s`: where bars of attempts and hosts that have not ended stop (the run's end, or now).
TimelineGeometry timeline_geometry(const records::RunRecord& record, double end_epoch_s, double width = 920);

// The timeline as an <svg>; every text from the record is escaped.
std::string render_timeline_svg(const TimelineGeometry& geometry);

}  // namespace choline::report
