#include <choline/providers/ranking.hpp>

#include <algorithm>
#include <map>

namespace choline::providers {

double effective_price(const Offer& offer) {
  return offer.price_per_hour + offer.storage_per_hour;
}

double price_per_gpu(const Offer& offer) {
  return offer.gpus > 0 ? offer.price_per_hour / offer.gpus : offer.price_per_hour;
}

bool is_excluded(const Offer& offer, const std::vector<std::string>& exclude) {
  return std::any_of(exclude.begin(), exclude.end(), [&](const std::string& id) {
    return id == offer.id || (!offer.machine.empty() && id == offer.machine);
  });
}

namespace {

bool better(const Offer& a, const Offer& b) {
  const double pa = effective_price(a), pb = effective_price(b);
  if (pa != pb) return pa < pb;
  if (a.reliability != b.reliability) return a.reliability > b.reliability;
  return a.id < b.id;
}

}  // namespace

std::optional<std::string> best_location(const std::vector<Offer>& ranked, int nodes) {
  if (nodes <= 1) return std::nullopt;
  std::map<std::string, std::pair<int, double>> by_location;  // count, cost of the first `nodes`
  for (const auto& offer : ranked) {
    auto& [count, cost] = by_location[offer.location];
    if (count < nodes) cost += effective_price(offer);
    ++count;
  }
  std::optional<std::string> best;
  double best_cost = 0;
  for (const auto& [location, entry] : by_location) {
    if (entry.first < nodes || location.empty()) continue;
    if (!best || entry.second < best_cost) {
      best = location;
      best_cost = entry.second;
    }
  }
  return best;
}

std::vector<Offer> rank_offers(std::vector<Offer> offers, const RankCriteria& criteria) {
  std::erase_if(offers, [&](const Offer& offer) {
    if (is_excluded(offer, criteria.exclude)) return true;
    if (offer.reliability < criteria.min_reliability) return true;
    return criteria.max_price_per_gpu && price_per_gpu(offer) > *criteria.max_price_per_gpu;
  });
  std::sort(offers.begin(), offers.end(), better);
  if (auto location = criteria.prefer_location ? criteria.prefer_location : best_location(offers, criteria.nodes)) {
    std::stable_partition(offers.begin(), offers.end(), [&](const Offer& o) { return o.location == *location; });
  }
  return offers;
}

}  // namespace choline::providers
