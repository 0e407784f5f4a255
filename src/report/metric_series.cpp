#include <choline/report/metric_series.hpp>

#include <algorithm>
#include <set>

namespace choline::report {

std::vector<std::string> metric_names(const std::vector<records::MetricPoint>& history) {
  std::set<std::string> names;
  for (const auto& point : history) {
    for (const auto& [key, value] : point.values.items()) {
      if (key != "step" && value.is_number()) names.insert(key);
    }
  }
  std::vector<std::string> ordered(names.begin(), names.end());
  if (auto loss = loss_metric(ordered)) {
    std::stable_partition(ordered.begin(), ordered.end(), [&](const std::string& n) { return n == *loss; });
  }
  return ordered;
}

std::optional<std::string> loss_metric(const std::vector<std::string>& names) {
  if (names.empty()) return std::nullopt;
  if (std::find(names.begin(), names.end(), "loss") != names.end()) return std::string("loss");
  for (const auto& name : names) {
    if (name.find("loss") != std::string::npos) return name;
  }
  return names.front();
}

std::vector<SeriesPoint> series_of(const std::vector<records::MetricPoint>& history, const std::string& name) {
  std::vector<SeriesPoint> series;
  for (const auto& point : history) {
    const auto it = point.values.find(name);
    if (it == point.values.end() || !it->is_number()) continue;
    series.push_back({point.step, it->get<double>(), point.attempt});
  }
  return series;
}

std::map<std::string, LatestValue> latest_values(const std::vector<records::MetricPoint>& history) {
  std::map<std::string, LatestValue> latest;
  for (const auto& point : history) {
    for (const auto& [key, value] : point.values.items()) {
      if (key == "step") continue;
      LatestValue& entry = latest[key];
      entry.value = value;
      entry.step = point.step;
      entry.attempt = point.attempt;
      ++entry.count;
    }
  }
  return latest;
}

nlohmann::json values_at(const std::vector<records::MetricPoint>& history, std::int64_t step) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& point : history) {
    if (point.step > step) break;
    for (const auto& [key, value] : point.values.items()) {
      if (key != "step") values[key] = value;
    }
  }
  return values;
}

}  // namespace choline::report
