#pragma once
// `choline report SWEEP`: one self-contained HTML page about a sweep (no script, no network):
// the metric over steps for every trial (trials stopped early drawn grey up to where they
// stopped, the best one highlighted), a parallel-coordinates chart of the parameters coloured by
// the metric, the metric against each parameter, the best trial's model card, and the table of
// trials best first. Pure: the journal, the trials' metrics and the best trial's cards in, the
// document out; every string from a trial, a card or a host is escaped.

#include <choline/records/metrics.hpp>
#include <choline/records/sweep_record.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace choline::report {

struct SweepReportInputs {
  const records::SweepRecord& sweep;
  const std::map<int, std::vector<records::MetricPoint>>& histories;  // by trial id
  double now_epoch_s = 0;
  std::string generated_at;
  // The model cards of sweep_best_trial's run (load_model_cards): the page shows the one of its
  // best checkpoint.
  std::vector<nlohmann::json> best_trial_cards = {};
};

// The trial the page calls best: the best finite value of the metric by the sweep's goal (the
// lowest id on a tie); nullopt while no trial has one.
std::optional<int> sweep_best_trial(const records::SweepRecord& sweep);

std::string render_sweep_report_html(const SweepReportInputs& inputs);

}  // namespace choline::report
