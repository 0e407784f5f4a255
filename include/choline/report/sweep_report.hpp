#pragma once
// `choline report SWEEP`: one self-contained HTML page about a sweep (no script, no network):
// the metric over steps for every trial (trials stopped early drawn grey up to where they
// stopped, the best one highlighted), the metric against each parameter, a parallel-coordinates
// chart of the parameters coloured by the metric, and the table of trials best first. Pure: the
// journal and the trials' metrics in, the document out; every string from a trial or a host is
// escaped.

#include <choline/records/metrics.hpp>
#include <choline/records/sweep_record.hpp>

#include <map>
#include <string>
#include <vector>

namespace choline::report {

struct SweepReportInputs {
  const records::SweepRecord& sweep;
  const std::map<int, std::vector<records::MetricPoint>>& histories;  // by trial id
  double now_epoch_s = 0;
  std::string generated_at;
};

std::string render_sweep_report_html(const SweepReportInputs& inputs);

}  // namespace choline::report
