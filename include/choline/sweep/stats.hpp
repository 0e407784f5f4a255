#pragma once
// Normal-distribution functions for the Parzen estimators and the samplers, accurate in the tails
// (a kernel far from a candidate must give a very small log density, not log 0 = -inf for both
// the good and the bad estimator, which would leave the comparison NaN).

#include <limits>

namespace choline::sweep {

inline constexpr double k_inf = std::numeric_limits<double>::infinity();

// Standard normal CDF Phi(x).
double normal_cdf(double x);
// log Phi(x), finite for every finite x (asymptotic series below -20).
double log_normal_cdf(double x);
// The inverse of Phi for p in (0, 1); -inf / +inf at 0 / 1.
double normal_ppf(double p);
// log(Phi(b) - Phi(a)) for a <= b, computed on the side of the distribution where it is exact.
double log_gauss_mass(double a, double b);
// A standard normal truncated to [a, b] (a < b): the quantile u in [0, 1).
double truncated_normal_ppf(double u, double a, double b);
// Log density at x of N(mu, sigma) truncated to [low, high].
double truncated_normal_log_pdf(double x, double mu, double sigma, double low, double high);

}  // namespace choline::sweep
