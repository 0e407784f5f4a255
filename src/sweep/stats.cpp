#include <choline/sweep/stats.hpp>

#include <cmath>
#include <limits>
#include <numbers>

namespace choline::sweep {

namespace {


// log(exp(x) - exp(y)) for x >= y.
double log_diff_exp(double x, double y) {
  if (y == -k_inf) return x;
  return x + std::log1p(-std::exp(y - x));
}

}  // namespace

double normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::numbers::sqrt2);
}

double log_normal_cdf(double x) {
  if (x > 5) return std::log1p(-0.5 * std::erfc(x / std::numbers::sqrt2));
  if (x > -20) return std::log(0.5 * std::erfc(-x / std::numbers::sqrt2));
  // Asymptotic expansion of the Mills ratio: Phi(x) ~ phi(x)/(-x) * (1 - 1/x^2 + 3/x^4 - ...).
  const double r = 1.0 / (x * x);
  const double series = 1 - r * (1 - 3 * r * (1 - 5 * r * (1 - 7 * r)));
  return -0.5 * x * x - std::log(-x) - 0.5 * std::log(2 * std::numbers::pi) + std::log(series);
}

double normal_ppf(double p) {
  if (!(p > 0)) return -k_inf;
  if (!(p < 1)) return k_inf;
  // Acklam's rational approximation (relative error 1.15e-9), then one Halley step on erfc.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double p_low = 0.02425;
  double x;
  if (p < p_low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - p_low) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // Refine on the side where the CDF is exact (the upper tail through 1 - Phi(x) = Phi(-x)).
  if (p < 0.5) {
    const double e = normal_cdf(x) - p;
    const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(0.5 * x * x);
    x = x - u / (1 + 0.5 * x * u);
  } else {
    const double e = normal_cdf(-x) - (1 - p);
    const double u = -e * std::sqrt(2 * std::numbers::pi) * std::exp(0.5 * x * x);
    x = x - u / (1 + 0.5 * x * u);
  }
  return x;
}

double log_gauss_mass(double a, double b) {
  if (!(a < b)) return -k_inf;
  if (b <= 0) return log_diff_exp(log_normal_cdf(b), log_normal_cdf(a));
  if (a >= 0) return log_diff_exp(log_normal_cdf(-a), log_normal_cdf(-b));
  // Straddling zero: the mass is at least Phi(b) - 1/2 or 1/2 - Phi(a), no cancellation to fear.
  return std::log1p(-normal_cdf(a) - normal_cdf(-b));
}

double truncated_normal_ppf(double u, double a, double b) {
  if (a >= 0) return -truncated_normal_ppf(1 - u, -b, -a);  // work in the lower half, where Phi is exact
  const double pa = normal_cdf(a);
  const double pb = normal_cdf(b);
  if (!(pb > pa)) return b;  // both bounds so far in the tail that the mass underflows
  double x = normal_ppf(pa + u * (pb - pa));
  if (x < a) x = a;
  if (x > b) x = b;
  return x;
}

double truncated_normal_log_pdf(double x, double mu, double sigma, double low, double high) {
  if (x < low || x > high) return -k_inf;
  const double z = (x - mu) / sigma;
  return -0.5 * z * z - 0.5 * std::log(2 * std::numbers::pi) - std::log(sigma) -
         log_gauss_mass((low - mu) / sigma, (high - mu) / sigma);
}

}  // namespace choline::sweep
