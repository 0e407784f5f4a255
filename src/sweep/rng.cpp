#include <choline/sweep/rng.hpp>

#include <choline/sweep/stats.hpp>

#include <cmath>

namespace choline::sweep {

namespace {

// Rejection sampling accepts with probability above 1/2 per try (below) and above 0.95 (gamma);
// the bound only guards against a broken generator.
constexpr int k_max_rejections = 1000;

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

Rng::Rng(std::uint64_t seed) {
  for (auto& word : m_state) word = splitmix64(seed);
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(m_state[1] * 5, 7) * 9;
  const std::uint64_t t = m_state[1] << 17;
  m_state[2] ^= m_state[0];
  m_state[3] ^= m_state[1];
  m_state[1] ^= m_state[2];
  m_state[0] ^= m_state[3];
  m_state[2] ^= t;
  m_state[3] = rotl(m_state[3], 45);
  return result;
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Rng::uniform(double low, double high) {
  const double x = low + (high - low) * uniform();
  return x < high ? x : low;  // rounding can land on high; [low, high) is the contract
}

std::uint64_t Rng::below(std::uint64_t n) {
  if (n == 0) return 0;
  const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n: draws under it would bias low values
  std::uint64_t r = next();
  for (int i = 0; i < k_max_rejections && r < threshold; ++i) r = next();
  return r % n;
}

double Rng::normal() {
  // (k + 0.5) / 2^53 lies strictly inside (0, 1), so the quantile is finite.
  const double u = (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
  return normal_ppf(u);
}

double Rng::gamma(double shape) {
  if (!(shape > 0)) return 0;
  if (shape < 1) {
    // Gamma(a) = Gamma(a + 1) * U^(1/a) (Marsaglia and Tsang, section 6).
    const double u = 1.0 - uniform();  // (0, 1]
    return gamma(shape + 1) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (int i = 0; i < k_max_rejections; ++i) {
    const double x = normal();
    double v = 1.0 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    const double u = 1.0 - uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
  return shape;  // the mean: only reached by a generator that never accepts
}

double Rng::beta(double a, double b) {
  const double x = gamma(a);
  const double y = gamma(b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

Rng Rng::split() {
  return Rng(next());
}

}  // namespace choline::sweep
