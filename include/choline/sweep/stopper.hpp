#pragma once
// Early stopping, behind one interface: the executor reports each trial's metric at a resource
// (a step or epoch count that grows, `choline.resource`) and carries out the decision. Pure: the
// stopper sees only these calls.
//
//   asha       Asynchronous successive halving (Li et al., MLSys 2020; Ray's ASHAScheduler rule).
//              Rungs at grace * eta^k (1, 3, 9, 27, ... by default); no last rung: a trial's own
//              end is its maximum. When a report reaches a rung the trial has not been judged at
//              (the highest such rung, if a report jumps several), the trial goes on iff its
//              value is at least as good as the (1 - 1/eta) quantile (numpy's linear percentile)
//              of the values recorded at that rung before it, i.e. it is in the top 1/eta so far.
//              The first trial at a rung goes on. Its value is then recorded there.
//   hyperband  W&B's early_terminate (wandb/sweeps hyperband_stopping.py). Bands from max_iter
//              and s (max_iter / eta^i for i = 1..s, while >= 1) or from min_iter (min_iter *
//              eta^k). Iterations are the trial's count of reports, not the resource. At each
//              report, with b the largest band <= that count: the b-th value of every trial with
//              at least b values (running, finished or stopped, in the goal's direction) sorted
//              best first, threshold = sorted[int(n / eta)]; stop iff the trial's b-th value
//              (strict) or best value so far (not strict) is worse than the threshold.
//   median     Optuna's MedianPruner: once startup_trials trials completed, at resource >=
//              warmup, at the first report of each interval: stop iff the trial's best value so
//              far is worse than the median of the completed trials' values at this same
//              resource (needs min_trials of them).
//   none       never stops.
//
// A NaN value at a judgement stops the trial (it diverged). A trial told to stop stays stopped:
// later reports answer stop again.

#include <choline/sweep/config.hpp>
#include <choline/sweep/trial.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace choline::sweep {

struct StopDecision {
  bool stop = false;
  int rung = -1;    // the rung (ASHA) or band index (hyperband) judged at; -1: not judged
  std::string why;  // one line for logs and status: "rung 1 (resource 3): 0.52 worse than cutoff 0.41 ..."
};

class Stopper {
 public:
  virtual ~Stopper() = default;
  // Trial `trial_id` reported `value` (in the metric's units: the goal is applied inside) at
  // `resource`.
  virtual StopDecision report(int trial_id, std::int64_t resource, double value) = 0;
  // The trial ended: complete by itself, pruned (stopped by this stopper or by the user), or
  // failed. The median rule learns from complete trials only.
  virtual void finished(int trial_id, TrialState how) {
    (void)trial_id;
    (void)how;
  }
};

// The stopper `config.stopper` names, with its settings and the metric's goal.
std::unique_ptr<Stopper> make_stopper(const SweepConfig& config);

std::unique_ptr<Stopper> make_asha_stopper(const AshaSettings& settings, Goal goal);
std::unique_ptr<Stopper> make_hyperband_stopper(const HyperbandSettings& settings, Goal goal);
std::unique_ptr<Stopper> make_median_stopper(const MedianSettings& settings, Goal goal);
std::unique_ptr<Stopper> make_no_stopper();

// ASHA's rung resources up to `up_to` (grace * eta^k <= up_to), for status tables and tests.
std::vector<double> asha_rungs(const AshaSettings& settings, std::int64_t up_to);
// W&B's bands, ascending (empty when the settings give none).
std::vector<std::int64_t> hyperband_bands(const HyperbandSettings& settings);
// numpy.percentile(values, q) with linear interpolation; NaN for no values.
double linear_percentile(std::vector<double> values, double q);

}  // namespace choline::sweep
