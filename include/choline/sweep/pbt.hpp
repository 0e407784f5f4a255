#pragma once
// Population-based training's decisions (Jaderberg et al. 2017, as Ray's PopulationBasedTraining
// makes them), pure: the executor keeps the population running, reports where each trial stands,
// and carries out "copy trial A's newest checkpoint into trial B and relaunch B with params P".
//
// A trial is due when its resource is at least burn_in and has grown by `interval` since its last
// check. At each decide(): the live trials with a score are ranked by the goal (ties by id);
// q = ceil(N * quantile), at most floor(N / 2); the worst q are the bottom, the best q the top
// (no one with N <= 1). Each due trial in the bottom copies a top trial chosen at random, if that
// one has a checkpoint (else it carries on unchanged), and takes its parameters after explore().
//
// explore(), per searched parameter (constants are kept):
//   categorical   with resample_probability (or when the value is not in the list) a fresh draw,
//                 else one step left or right in the list, clamped at its ends
//   numeric       with resample_probability a fresh draw from the distribution, else the value
//                 times a factor chosen at random (1.2 or 0.8); integers truncated (Python's
//                 int()), q_ values rounded to q, bounded distributions clamped to [min, max]

#include <choline/sweep/config.hpp>
#include <choline/sweep/rng.hpp>
#include <choline/sweep/space.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace choline::sweep {

struct PbtMember {
  int trial_id = 0;
  nlohmann::json params;
  std::optional<double> score;         // the latest metric value, in its own units; none yet: unranked
  std::int64_t resource = 0;           // of that value
  std::int64_t last_perturbation = 0;  // the resource at its last check (0 at start)
  bool has_checkpoint = false;         // a complete checkpoint exists to copy from
};

struct PbtExploit {
  int trial_id = 0;         // the bottom trial, replaced
  int source_trial_id = 0;  // the top trial whose newest checkpoint it copies
  nlohmann::json params;    // the source's parameters after explore()
  std::string why;
};

struct PbtRound {
  // The trials checked this round, by id: the executor sets their last_perturbation to their
  // resource (an exploiting trial inherits the source checkpoint's resource instead).
  std::vector<int> due;
  std::vector<PbtExploit> exploits;
};

class PopulationBasedTraining {
 public:
  PopulationBasedTraining(SearchSpace space, PbtSettings settings, Goal goal, std::uint64_t seed);

  // The decisions for the population as it stands (order of `population` does not matter).
  PbtRound decide(const std::vector<PbtMember>& population);
  // `params` perturbed as described above.
  nlohmann::json explore(const nlohmann::json& params);

 private:
  nlohmann::json perturb(const Parameter& parameter, const nlohmann::json& value);

  SearchSpace m_space;
  PbtSettings m_settings;
  Goal m_goal;
  Rng m_rng;
};

}  // namespace choline::sweep
