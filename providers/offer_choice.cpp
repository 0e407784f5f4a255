#include <choline/providers/offer_choice.hpp>

#include <choline/providers/ranking.hpp>

#include <algorithm>
#include <cstdio>

namespace choline::providers {

namespace {

bool is_pool(const Offer& offer) {
  return offer.machine.empty();
}

Error no_offer(const std::string& what, const std::string& advice) {
  return make_error(ErrorKind::capacity, what + advice);
}

std::string price_rule(const HostRequest& request) {
  if (!request.max_price) return "";
  char price[32];
  std::snprintf(price, sizeof price, "%.3f", *request.max_price);
  return " at or below the --max-price of $" + std::string(price) + "/GPU-h";
}

}  // namespace

Result<std::vector<Offer>> usable_offers(std::vector<Offer> offers, const HostRequest& request,
                                         const OfferHistory& history, const std::string& provider,
                                         const std::string& advice) {
  const std::string shape = request.shape.describe();
  if (offers.empty()) return no_offer(provider + " has no offer for " + shape, advice);
  std::erase_if(offers, [&](const Offer& offer) { return is_excluded(offer, request.exclude); });
  if (offers.empty()) {
    return no_offer("every " + provider + " offer for " + shape +
                        " is on a machine this run must not use (one it lost, or one serving its other nodes)",
                    advice);
  }
  std::erase_if(offers, [&](const Offer& offer) { return !is_pool(offer) && history.used.count(offer.id); });
  if (offers.empty()) {
    return no_offer(provider + " has no offer for " + shape + " on a machine this run has not tried yet", advice);
  }
  std::stable_partition(offers.begin(), offers.end(),
                        [&](const Offer& offer) { return !history.refused.count(offer.id); });
  return offers;
}

Result<Offer> choose_offer(const std::vector<Offer>& offers, const HostRequest& request, const OfferHistory& history,
                           const std::string& provider) {
  auto usable = usable_offers(offers, request, history, provider);
  if (!usable) return usable.error();
  RankCriteria criteria;
  criteria.max_price_per_gpu = request.max_price;
  criteria.nodes = request.shape.nodes;
  // The run's other nodes: same place, so torch.distributed has a chance to connect them.
  criteria.prefer_location = history.location;
  // Refused pools (last in `usable`) are ranked apart and after: a cheaper one that just
  // refused is tried last.
  const auto refused = std::partition_point(usable->begin(), usable->end(),
                                            [&](const Offer& offer) { return !history.refused.count(offer.id); });
  auto ranked = rank_offers({usable->begin(), refused}, criteria);
  auto retried = rank_offers({refused, usable->end()}, criteria);
  ranked.insert(ranked.end(), retried.begin(), retried.end());
  if (ranked.empty()) {
    return no_offer(provider + " has no offer for " + request.shape.describe() + price_rule(request) +
                        " from a machine rated at least " +
                        std::to_string(static_cast<int>(criteria.min_reliability * 100)) + "% reliable",
                    "");
  }
  return ranked.front();
}

void record_attempt(OfferHistory& history, const HostRequest& request, const Offer& offer, RentOutcome outcome) {
  if (!is_pool(offer)) {
    history.used.insert(offer.id);  // tried once, whatever happens
  } else if (outcome == RentOutcome::refused) {
    history.refused.insert(offer.id);
  } else if (outcome == RentOutcome::rented) {
    history.refused.erase(offer.id);  // capacity came back
  }
  if (outcome == RentOutcome::rented && request.shape.nodes > 1 && !history.location) history.location = offer.location;
}

OfferHistory OfferMemory::of(const std::string& run_id) const {
  std::lock_guard lock(m_mutex);
  auto it = m_runs.find(run_id);
  return it == m_runs.end() ? OfferHistory{} : it->second;
}

void OfferMemory::record(const HostRequest& request, const Offer& offer, RentOutcome outcome) {
  std::lock_guard lock(m_mutex);
  record_attempt(m_runs[request.run_id], request, offer, outcome);
}

}  // namespace choline::providers
