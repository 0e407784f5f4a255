#pragma once
// Views of a run's merged metrics history (metrics.hpp) for people: one numeric series per
// metric, the latest value of each, which metric is "the loss". Pure.

#include <choline/records/metrics.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace choline::report {

struct SeriesPoint {
  std::int64_t step = 0;
  double value = 0;
  int attempt = 1;

  bool operator==(const SeriesPoint&) const = default;
};

// Every metric that has at least one numeric value, "step" excepted: the loss first (see
// loss_metric), then by name.
std::vector<std::string> metric_names(const std::vector<records::MetricPoint>& history);

// The metric the charts lead with: "loss" if present, else the first name containing "loss",
// else the first name; nullopt when there are none.
std::optional<std::string> loss_metric(const std::vector<std::string>& names);

// The points where `name` has a numeric value, in step order (booleans and strings are skipped).
std::vector<SeriesPoint> series_of(const std::vector<records::MetricPoint>& history, const std::string& name);

struct LatestValue {
  nlohmann::json value;  // as the worker reported it (a number, or anything else JSON allows)
  std::int64_t step = 0;
  int attempt = 1;
  std::size_t count = 0;  // points holding this metric
};

// The last value of every metric ("step" excepted), by name.
std::map<std::string, LatestValue> latest_values(const std::vector<records::MetricPoint>& history);

// Metrics as of `step`: the last value of each metric at a step <= `step`.
nlohmann::json values_at(const std::vector<records::MetricPoint>& history, std::int64_t step);

}  // namespace choline::report
