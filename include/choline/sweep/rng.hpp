#pragma once
// The sweep's own random numbers: xoshiro256** seeded through splitmix64, and the few draws the
// searchers need built on it by hand. The standard library's distributions differ between
// implementations, so a seeded sweep would ask different trials on another compiler; these do not.

#include <cstdint>

namespace choline::sweep {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t next();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Uniform in [low, high).
  double uniform(double low, double high);
  // Uniform integer in [0, n) without modulo bias; 0 when n is 0.
  std::uint64_t below(std::uint64_t n);
  // Standard normal, by inversion (one uniform per draw).
  double normal();
  // Gamma(shape, 1) for shape > 0 (Marsaglia and Tsang), and Beta(a, b) through two gammas.
  double gamma(double shape);
  double beta(double a, double b);
  // A generator for a separate stream, seeded from this one: keeps one consumer's draws from
  // shifting another's.
  Rng split();

 private:
  std::uint64_t m_state[4];
};

}  // namespace choline::sweep
