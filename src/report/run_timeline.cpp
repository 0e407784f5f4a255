#include <choline/report/run_timeline.hpp>

#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

namespace choline::report {

namespace {

std::optional<int> int_field(const nlohmann::json& event, const char* key) {
  const auto it = event.find(key);
  if (it == event.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int>();
}

}  // namespace

std::vector<AttemptSpan> attempt_spans(const std::vector<records::MetricPoint>& history) {
  std::vector<AttemptSpan> spans;
  for (const auto& point : history) {
    if (spans.empty() || spans.back().attempt != point.attempt) {
      spans.push_back({point.attempt, point.step, point.step, 0});
    }
    spans.back().last_step = point.step;
    ++spans.back().points;
  }
  return spans;
}

const char* to_string(BoundaryKind kind) {
  switch (kind) {
    case BoundaryKind::restart:
      return "restart";
    case BoundaryKind::host_lost:
      return "host lost";
    case BoundaryKind::resumed:
      return "resumed";
  }
  return "restart";
}

std::vector<AttemptBoundary> attempt_boundaries(const records::RunRecord& record) {
  std::vector<AttemptBoundary> boundaries;
  bool started_any = false;
  std::vector<std::string> losses;
  bool resumed = false;
  std::string last_outcome;
  for (const auto& event : record.events) {
    if (!event.is_object()) continue;
    const auto type = records::kind_of(event);
    if (type == records::JournalEvent::host_lost) {
      losses.push_back("node " + std::to_string(int_field(event, "node").value_or(0)) + " " + util::json_text(event, "id") +
                       ": " + util::json_text(event, "reason"));
    } else if (type == records::JournalEvent::resumed) {
      resumed = true;
    } else if (type == records::JournalEvent::attempt_ended) {
      last_outcome = util::json_text(event, "outcome");
    } else if (type == records::JournalEvent::attempt_started) {
      const auto number = int_field(event, "attempt");
      if (started_any && number) {
        AttemptBoundary boundary;
        boundary.attempt = *number;
        boundary.at = util::json_text(event, "at");
        if (!losses.empty()) {
          boundary.kind = BoundaryKind::host_lost;
          boundary.reason = util::join(losses, "; ");
        } else if (resumed) {
          boundary.kind = BoundaryKind::resumed;
          boundary.reason = last_outcome.empty() ? "choline resume" : "choline resume after: " + last_outcome;
        } else {
          boundary.kind = BoundaryKind::restart;
          boundary.reason = last_outcome.empty() ? "the previous attempt ended" : last_outcome;
        }
        boundaries.push_back(std::move(boundary));
      }
      started_any = true;
      losses.clear();
      resumed = false;
      last_outcome.clear();
    }
  }
  return boundaries;
}

}  // namespace choline::report
