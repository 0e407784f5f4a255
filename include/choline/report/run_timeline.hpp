#pragma once
// Where a run's attempts begin and end, for charts and reports (pure). A run's attempts are
// told apart twice: in its metrics (every point carries its attempt) and in its journal (why an
// attempt ended, what came next).

#include <choline/records/metrics.hpp>
#include <choline/records/run_record.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace choline::report {

// The steps of the merged history that an attempt's points cover. Later attempts replace the
// steps they re-ran, so the spans follow each other in step order.
struct AttemptSpan {
  int attempt = 1;
  std::int64_t first_step = 0;
  std::int64_t last_step = 0;
  std::size_t points = 0;

  bool operator==(const AttemptSpan&) const = default;
};
std::vector<AttemptSpan> attempt_spans(const std::vector<records::MetricPoint>& history);

enum class BoundaryKind {
  restart,    // a worker failed; the gang restarted on the same hosts
  host_lost,  // a host died or hung and was replaced
  resumed,    // `choline resume` started a new attempt (after a stop, a failure or a crash)
};
const char* to_string(BoundaryKind kind);

// Why attempt `attempt` (>= 2) began, from the journal.
struct AttemptBoundary {
  int attempt = 2;
  BoundaryKind kind = BoundaryKind::restart;
  std::string reason;  // the lost hosts and why, or how the previous attempt ended
  std::string at;      // when the new attempt started
};
std::vector<AttemptBoundary> attempt_boundaries(const records::RunRecord& record);

}  // namespace choline::report
