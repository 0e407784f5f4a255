#pragma once
// Which offer a create() rents, the same way for every provider that chooses among offers:
// never one on an excluded machine (HostRequest::exclude), never one this run already tried,
// and otherwise the ranking's best (ranking.hpp). What was tried is remembered per run.
//
// Two kinds of offer: one that names its machine (a vast.ai ask, a listed ssh host) is used up
// by a rent, so it counts as tried whatever happens; one that names none (a Lambda region, a
// RunPod GPU type) is a pool that rents many hosts, so only a refusal counts, and a refused
// pool goes after the untried ones instead of out (capacity comes back).

#include <choline/error.hpp>
#include <choline/providers/provider.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace choline::providers {

// What one run has tried with one provider.
struct OfferHistory {
  std::set<std::string> used;           // offer ids of machine offers rented or attempted
  std::set<std::string> refused;        // offer ids of pool offers that refused a rent
  std::optional<std::string> location;  // where the run's first node went (runs of several nodes)
};

// How a rent attempt ended, for the history.
enum class RentOutcome { rented, refused, failed };

// The offers a request may use, in the order to try them: not excluded, not used up, refused
// pools last; the caller ranks them. A capacity error saying which rule left none.
// `provider` names the provider in messages ("vast.ai"), `advice` ends them ("; list more hosts").
Result<std::vector<Offer>> usable_offers(std::vector<Offer> offers, const HostRequest& request,
                                         const OfferHistory& history, const std::string& provider,
                                         const std::string& advice = "");

// The offer to rent: the best usable offer by price and reliability (under request.max_price),
// in the location of the run's other nodes where it has any. Capacity errors as above.
Result<Offer> choose_offer(const std::vector<Offer>& offers, const HostRequest& request, const OfferHistory& history,
                           const std::string& provider);

// `history` after an attempt to rent `offer` for `request`.
void record_attempt(OfferHistory& history, const HostRequest& request, const Offer& offer, RentOutcome outcome);

// The histories of a provider's runs. Thread-safe.
class OfferMemory {
 public:
  OfferHistory of(const std::string& run_id) const;
  void record(const HostRequest& request, const Offer& offer, RentOutcome outcome);

 private:
  mutable std::mutex m_mutex;
  std::map<std::string, OfferHistory> m_runs;
};

}  // namespace choline::providers
