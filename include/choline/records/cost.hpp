#pragma once
// What a run costs, from its journal (pure): each host is paid from its "host_created" event to
// its "host_released" (or until `now` while it is held), at the price it was rented at.

#include <choline/records/run_record.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace choline::records {

struct RunCost {
  double per_hour = 0;  // what the hosts held now cost per hour
  double spent = 0;     // USD so far
};

// Seconds since the epoch of "2026-11-23T15:25:01.123Z"; nullopt if it is not one.
std::optional<double> parse_iso8601(const std::string& text);

RunCost cost_of(const RunRecord& record, double now_epoch_s);

}  // namespace choline::records
