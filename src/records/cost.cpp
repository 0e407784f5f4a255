#include <choline/records/cost.hpp>

#include <cstdio>
#include <ctime>
#include <map>

namespace choline::records {

std::optional<double> parse_iso8601(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  char zone = 0;
  const int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &zone);
  if (n < 6) return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(::timegm(&tm)) + (n >= 7 ? ms / 1000.0 : 0.0);
}

RunCost cost_of(const RunRecord& record, double now_epoch_s) {
  std::map<std::string, double> price;  // by host id: the price it was rented at
  for (const auto& host : record.hosts) price[host.host.id] = host.host.price_per_hour;
  std::map<std::string, double> held_since;
  RunCost cost;
  for (const auto& event : record.events) {
    if (!event.is_object() || !event.contains("id") || !event["id"].is_string()) continue;
    const auto kind = kind_of(event);
    const std::string id = event["id"].get<std::string>();
    const auto at = parse_iso8601(event.value("at", ""));
    if (!at) continue;
    if (kind == JournalEvent::host_created) {
      held_since[id] = *at;
    } else if (kind == JournalEvent::host_released && held_since.count(id)) {
      cost.spent += price[id] * (*at - held_since[id]) / 3600.0;
      held_since.erase(id);
    }
  }
  for (const auto& [id, since] : held_since) {
    cost.per_hour += price[id];
    cost.spent += price[id] * std::max(0.0, now_epoch_s - since) / 3600.0;
  }
  return cost;
}

}  // namespace choline::records
