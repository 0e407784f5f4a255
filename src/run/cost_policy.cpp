#include <choline/run/cost_policy.hpp>

namespace choline::run {

std::optional<double> cost_limit_reached(const records::RunCost& cost, std::optional<double> max_cost) {
  if (!max_cost) return std::nullopt;
  if (cost.spent + cost.per_hour * k_stop_margin_s / 3600.0 < *max_cost) return std::nullopt;
  return cost.spent;
}

}  // namespace choline::run
