#pragma once
// TPE (Bergstra et al. 2011) as Optuna 3.1's TPESampler runs it with its defaults, univariate:
//
// 1. Finished trials are the complete and the pruned ones (failed ones are left out; running
//    ones are not counted). With n of them below `startup_trials`, parameters are drawn from the
//    space as random search draws them.
// 2. Otherwise the trials are ordered best first (tpe_order) and the first gamma(n) =
//    min(ceil(n / 10), 25) form the good set, the rest the bad set; both keep trial order.
// 3. For each searched parameter separately, a Parzen estimator (parzen.hpp) is fitted to the
//    good set's coordinates, l(x), and one to the bad set's, g(x), in the parameter's working
//    space (dimension.hpp: log space for log parameters, grids for int and q_uniform).
//    `candidates` points drawn from l are scored by log l(x) - log g(x); the best one is the
//    parameter's value.

#include <choline/sweep/config.hpp>
#include <choline/sweep/searcher.hpp>
#include <choline/sweep/trial.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace choline::sweep {

// min(ceil(0.1 n), 25).
std::size_t tpe_gamma(std::size_t n);

// Positions into `outcomes` (complete or pruned trials, in trial order), best first: every
// complete trial by its value in the goal's direction, then pruned ones deeper first (larger
// resource), by their last value; a pruned trial without reports last; NaN values after numbers
// of the same depth. Ties keep trial order.
std::vector<std::size_t> tpe_order(const std::vector<TrialOutcome>& outcomes, Goal goal);

std::unique_ptr<Searcher> make_tpe_searcher(const SearchSpace& space, Goal goal, const TpeSettings& settings,
                                            std::uint64_t seed);

}  // namespace choline::sweep
