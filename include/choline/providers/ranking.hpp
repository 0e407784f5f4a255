#pragma once
// Which offer to rent, pure: the same ranking orders `choline offers` and picks what `train`
// rents. Cheapest effective price first (GPUs + the requested disk), machines below a
// reliability floor, above the price cap, or excluded (lost or refused before) left out; for
// several nodes, offers in one location first, since P2P hosts in different places rarely reach
// each other on the ports torch.distributed needs.

#include <choline/providers/provider.hpp>

#include <optional>
#include <string>
#include <vector>

namespace choline::providers {

inline constexpr double k_default_min_reliability = 0.90;

struct RankCriteria {
  std::optional<double> max_price_per_gpu;  // USD per GPU-hour, on the GPU price
  double min_reliability = k_default_min_reliability;
  std::vector<std::string> exclude;  // offer ids or machine ids
  int nodes = 1;
  // Where the run's other nodes already are: offers there go first (else best_location's).
  std::optional<std::string> prefer_location;
};

// True when `exclude` names the offer or its machine.
bool is_excluded(const Offer& offer, const std::vector<std::string>& exclude);

// GPU price plus storage, per hour.
double effective_price(const Offer& offer);
// GPU price per GPU-hour.
double price_per_gpu(const Offer& offer);

// The offers that pass the criteria, best first. Ties: higher reliability, then offer id.
std::vector<Offer> rank_offers(std::vector<Offer> offers, const RankCriteria& criteria);

// For `nodes` > 1: the location whose `nodes` cheapest offers cost least in total, among those
// with at least `nodes` offers; nullopt when no location has enough.
std::optional<std::string> best_location(const std::vector<Offer>& ranked, int nodes);

}  // namespace choline::providers
