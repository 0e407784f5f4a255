#pragma once
// One metrics history per run, across attempts. Workers print `choline-metrics: {json}` lines
// (rank 0; the C++ runtime does it, a Python script adds one print); the laptop picks them out
// of the log stream and keeps .choline/runs/<run>/metrics.jsonl. A later attempt that resumed
// from a checkpoint re-runs some steps: its values replace the earlier attempt's, so the merged
// history has strictly increasing steps, no duplicates and no zig-zag.

#include <choline/agent/job.hpp>
#include <choline/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace choline::records {

inline constexpr std::string_view k_metrics_prefix = agent::k_metrics_prefix;

struct MetricPoint {
  int attempt = 1;
  std::int64_t step = 0;
  nlohmann::json values = nlohmann::json::object();  // includes "step"

  nlohmann::json to_json() const;
};

// The values of a metrics line: a JSON object with a non-negative integral "step", at most 16 KiB
// and nested at most 8 deep (it comes from a host). nullopt for any other line.
std::optional<nlohmann::json> parse_metrics_line(std::string_view line);

// Adds `point` to a history of strictly increasing steps. A point at the last point's step from
// the same attempt adds its values to that point (e.g. an evaluation at a training step); any
// other earlier point at a step >= its step is dropped (a later attempt re-ran those steps).
// Returns false when the point was simply appended, true when earlier points changed.
bool merge_point(std::vector<MetricPoint>& history, MetricPoint point);

// metrics.jsonl on disk. Appends a line per point; rewrites the file (atomically) only when a
// point replaced earlier ones.
class MetricsFile {
 public:
  explicit MetricsFile(std::filesystem::path path);
  Status add(MetricPoint point);
  const std::vector<MetricPoint>& points() const { return m_points; }

 private:
  std::filesystem::path m_path;
  std::vector<MetricPoint> m_points;
};

// Picks rank 0's metrics lines out of a log stream (logs::LogSink's line hook), tagging each with the
// attempt whose marker line came before it.
class MetricsCollector {
 public:
  // `on_point` (optional) hears every point as it is added, e.g. a sweep's early stopping.
  using OnPoint = std::function<void(const MetricPoint&)>;
  MetricsCollector(std::filesystem::path path, int attempt, OnPoint on_point = {})
      : m_file(std::move(path)), m_attempt(attempt), m_on_point(std::move(on_point)) {}
  void on_line(int rank, std::string_view line);

 private:
  MetricsFile m_file;
  int m_attempt;
  OnPoint m_on_point;
};

// Reads a metrics.jsonl (lines that do not parse are skipped).
std::vector<MetricPoint> load_metrics(const std::filesystem::path& path);

}  // namespace choline::records
