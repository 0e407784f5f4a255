#pragma once
// The Parzen estimators of TPE, as Optuna 3.1 builds them for one parameter at a time
// (samplers/_tpe/parzen_estimator.py, univariate): one kernel per observation plus a prior kernel,
// weighted by tpe_weights and the prior weight, normalized.
//
// Numeric: truncated normals on [low, high] (scored as Optuna 3.1 scores them, see
// ParzenOptions::equal_height_kernels). Each observation's bandwidth is the larger gap to its
// neighbours among the sorted centres (prior included, low and high as outer neighbours; without
// `endpoints` the outermost centres use their inner gap only), clipped to
// [(high - low) / min(100, 1 + K), high - low] with K kernels (the "magic clip"); the prior kernel
// sits at the middle with bandwidth high - low. On a grid (step > 0) the density of x is the
// kernel mass on [x - step/2, x + step/2] within the bounds over the mass on the bounds.
//
// Categorical: observation c's kernel puts prior_weight / (n + 1) on every choice and 1 more on
// c, normalized; the prior kernel is the parameter's prior (uniform unless probabilities given).

#include <choline/sweep/rng.hpp>

#include <cstddef>
#include <vector>

namespace choline::sweep {

struct ParzenOptions {
  double prior_weight = 1.0;
  bool magic_clip = true;
  bool endpoints = false;
  // Continuous kernels scored as Optuna 3.1 scores them: the truncated normal's log density
  // without its -log(sigma) term, so every kernel peaks at the same height whatever its width
  // (wide kernels weigh more). false gives the textbook mixture density; the benchmark
  // (scripts/bench-sweep) found it clearly worse, so true is the default. Grid parameters use
  // probability masses, which have no such term.
  bool equal_height_kernels = true;
};

// Optuna's default_weights(n): all 1 below 25 observations; else a ramp from 1/n to 1 over the
// n - 25 oldest, then 25 ones (observations in trial order, oldest first).
std::vector<double> tpe_weights(std::size_t n);

class NumericParzen {
 public:
  // `observations` are working-space coordinates in trial order.
  NumericParzen(const std::vector<double>& observations, double low, double high, double step,
                const ParzenOptions& options);

  // A draw from the mixture, in [low, high], not snapped to the grid.
  double sample(Rng& rng) const;
  double log_pdf(double x) const;

  const std::vector<double>& mus() const { return m_mus; }
  const std::vector<double>& sigmas() const { return m_sigmas; }
  const std::vector<double>& weights() const { return m_weights; }

 private:
  double m_low;
  double m_high;
  double m_step;
  bool m_equal_heights;
  std::vector<double> m_mus;  // the observations', then the prior's
  std::vector<double> m_sigmas;
  std::vector<double> m_weights;
};

class CategoricalParzen {
 public:
  CategoricalParzen(const std::vector<int>& observations, const std::vector<double>& prior,
                    const ParzenOptions& options);

  int sample(Rng& rng) const;
  double log_pdf(int choice) const;

  // The mixture's probability of each choice.
  const std::vector<double>& probabilities() const { return m_probabilities; }

 private:
  std::vector<double> m_probabilities;
};

// Index drawn with probability proportional to `weights` (non-negative, not all zero).
std::size_t draw_index(const std::vector<double>& weights, Rng& rng);

}  // namespace choline::sweep
