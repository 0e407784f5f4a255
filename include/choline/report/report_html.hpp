#pragma once
// `choline report`: one self-contained HTML file about a run (no script, no network, no external
// font or stylesheet; a Content-Security-Policy forbids them): every metric as an SVG line chart
// (attempts shaded, restarts and host losses marked), the timeline of attempts and hosts with
// their reasons, duration and cost, the command, and the model cards. Pure: the record, metrics
// and cards in, the document out. Every string that came from a run record, a metric or a host
// is escaped (hosts are strangers' machines).

#include <choline/records/metrics.hpp>
#include <choline/records/run_record.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace choline::report {

struct ReportInputs {
  const records::RunRecord& record;
  const std::vector<records::MetricPoint>& history;
  const std::vector<nlohmann::json>& cards;
  double now_epoch_s = 0;    // the end of bars and costs of a run that has not finished
  std::string generated_at;  // shown at the bottom
};

// When the run ended (its "finished" event) if it has, else `now_epoch_s`.
double report_end_epoch(const records::RunRecord& record, double now_epoch_s);

std::string render_report_html(const ReportInputs& inputs);

}  // namespace choline::report
