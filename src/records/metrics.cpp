#include <choline/records/metrics.hpp>

#include <choline/agent/job.hpp>
#include <choline/limits.hpp>
#include <choline/util/files.hpp>
#include <choline/util/json.hpp>

#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>

namespace choline::records {

namespace {

constexpr std::size_t k_max_line = limits::k_max_metrics_line;
constexpr std::size_t k_max_depth = limits::k_max_metrics_depth;

std::optional<std::int64_t> integral_step(const nlohmann::json& step) {
  if (step.is_number_integer()) {
    const auto value = step.get<std::int64_t>();
    return value >= 0 ? std::optional(value) : std::nullopt;
  }
  if (step.is_number_float()) {
    const double value = step.get<double>();
    if (value >= 0 && value < 9e15 && std::floor(value) == value) return static_cast<std::int64_t>(value);
  }
  return std::nullopt;
}

}  // namespace

nlohmann::json MetricPoint::to_json() const {
  nlohmann::json j = values;
  j["step"] = step;
  j["attempt"] = attempt;
  return j;
}

std::optional<nlohmann::json> parse_metrics_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.substr(0, k_metrics_prefix.size()) != k_metrics_prefix) return std::nullopt;
  line.remove_prefix(k_metrics_prefix.size());
  if (line.size() > k_max_line) return std::nullopt;
  auto parsed = util::parse_json(line, k_max_depth);
  if (!parsed) return std::nullopt;
  nlohmann::json values = std::move(*parsed);
  if (!values.is_object() || !values.contains("step")) return std::nullopt;
  auto step = integral_step(values["step"]);
  if (!step) return std::nullopt;
  values["step"] = *step;
  return values;
}

bool merge_point(std::vector<MetricPoint>& history, MetricPoint point) {
  if (!history.empty() && history.back().step == point.step && history.back().attempt == point.attempt) {
    history.back().values.update(point.values);
    return true;
  }
  std::size_t keep = history.size();
  while (keep > 0 && history[keep - 1].step >= point.step) --keep;
  const bool dropped = keep < history.size();
  history.resize(keep);
  history.push_back(std::move(point));
  return dropped;
}

std::vector<MetricPoint> load_metrics(const std::filesystem::path& path) {
  std::vector<MetricPoint> points;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto parsed = util::parse_json(line, k_max_depth);
    if (!parsed || !parsed->is_object() || !parsed->contains("step")) continue;
    nlohmann::json& j = *parsed;
    auto step = integral_step(j["step"]);
    if (!step) continue;
    MetricPoint point;
    point.step = *step;
    point.attempt = j.contains("attempt") ? util::json_int(j["attempt"]).value_or(1) : 1;
    point.values = j;
    point.values.erase("attempt");
    merge_point(points, std::move(point));
  }
  return points;
}

MetricsFile::MetricsFile(std::filesystem::path path) : m_path(std::move(path)), m_points(load_metrics(m_path)) {}

Status MetricsFile::add(MetricPoint point) {
  const std::string line = util::dump_json(point.to_json()) + "\n";
  if (!merge_point(m_points, std::move(point))) {
    std::ofstream out(m_path, std::ios::app);
    out << line;
    out.flush();
    if (!out) return make_error(ErrorKind::io, "cannot write " + m_path.string());
    return {};
  }
  std::string all;
  for (const auto& p : m_points) all += util::dump_json(p.to_json()) + "\n";
  return util::write_file_atomic(m_path, all);
}

void MetricsCollector::on_line(int rank, std::string_view line) {
  if (rank != 0) return;
  if (auto attempt = agent::parse_attempt_marker(line)) {
    m_attempt = *attempt;
    return;
  }
  auto values = parse_metrics_line(line);
  if (!values) return;
  MetricPoint point;
  point.attempt = m_attempt;
  point.step = (*values)["step"].get<std::int64_t>();
  point.values = std::move(*values);
  if (m_on_point) m_on_point(point);
  if (auto ok = m_file.add(std::move(point)); !ok) spdlog::warn("metrics: {}", ok.error().message);
}

}  // namespace choline::records
