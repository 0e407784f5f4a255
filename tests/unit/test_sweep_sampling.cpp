// W&B's sampling of each distribution, the generator behind it, and the grid's points.
#include <choline/sweep/rng.hpp>
#include <choline/sweep/sampling.hpp>
#include <choline/sweep/stats.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <map>

using namespace choline::sweep;
using json = nlohmann::json;

namespace {

Parameter make(const json& spec) {
  Problems problems;
  auto p = parse_parameter(spec, "x", problems);
  REQUIRE(p);
  return *p;
}

}  // namespace

TEST_CASE("The generator is the same on every platform", "[sweep]") {
  // xoshiro256** seeded by splitmix64(0): fixed numbers, so a changed generator fails here.
  Rng a(0);
  Rng b(0);
  const std::uint64_t first = a.next();
  CHECK(first == b.next());
  CHECK(first == 11091344671253066420ULL);
  Rng c(1);
  CHECK(c.next() != first);
  Rng d(7);
  for (int i = 0; i < 1000; ++i) {
    const double u = d.uniform();
    REQUIRE(u >= 0);
    REQUIRE(u < 1);
    REQUIRE(d.below(3) < 3);
  }
}

TEST_CASE("Normal, gamma and beta draws have the right moments", "[sweep]") {
  Rng rng(42);
  constexpr int n = 20000;
  double sum = 0, sum2 = 0, beta_sum = 0, gamma_sum = 0;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    sum += z;
    sum2 += z * z;
    beta_sum += rng.beta(2, 6);
    gamma_sum += rng.gamma(0.5);
  }
  CHECK(std::abs(sum / n) < 0.03);
  CHECK(std::abs(sum2 / n - 1) < 0.05);
  CHECK(std::abs(beta_sum / n - 0.25) < 0.01);
  CHECK(std::abs(gamma_sum / n - 0.5) < 0.03);
}

TEST_CASE("Each distribution samples what W&B samples, typed as W&B types it", "[sweep]") {
  Rng rng(3);
  std::map<std::int64_t, int> ints;
  const Parameter int_uniform = make({{"min", 1}, {"max", 3}});
  const Parameter log = make({{"distribution", "log_uniform_values"}, {"min", 1e-4}, {"max", 1e-1}});
  const Parameter q = make({{"distribution", "q_uniform"}, {"min", 1}, {"max", 10}, {"q", 3}});
  const Parameter qf = make({{"distribution", "q_uniform"}, {"min", 0}, {"max", 1}, {"q", 0.25}});
  const Parameter categorical = make({{"values", {"a", "b"}}, {"probabilities", {0.9, 0.1}}});
  int a_count = 0, low_decade = 0;
  for (int i = 0; i < 3000; ++i) {
    const json v = sample_value(int_uniform, rng);
    REQUIRE(v.is_number_integer());
    ints[v.get<std::int64_t>()]++;
    const double x = sample_value(log, rng).get<double>();
    REQUIRE(x >= 1e-4);
    REQUIRE(x < 1e-1);
    if (x < 1e-3) ++low_decade;
    const json qv = sample_value(q, rng);
    REQUIRE(qv.is_number_integer());
    REQUIRE(qv.get<std::int64_t>() % 3 == 0);  // anchored at 0: 0, 3, 6, 9 (0 < min is possible)
    const json qfv = sample_value(qf, rng);
    REQUIRE(qfv.is_number_float());
    REQUIRE(std::fmod(qfv.get<double>(), 0.25) == 0);
    if (sample_value(categorical, rng) == json("a")) ++a_count;
  }
  CHECK(ints.size() == 3);  // both ends included
  CHECK(ints.begin()->first == 1);
  CHECK(ints.rbegin()->first == 3);
  CHECK(std::abs(low_decade / 3000.0 - 1.0 / 3) < 0.05);  // uniform in log space: a decade in three
  CHECK(std::abs(a_count / 3000.0 - 0.9) < 0.03);
}

TEST_CASE("q rounding is half to even and anchored at zero", "[sweep]") {
  const Parameter q = make({{"distribution", "q_uniform"}, {"min", 0}, {"max", 10}, {"q", 1}});
  CHECK(quantize(2.5, q) == json(2));
  CHECK(quantize(3.5, q) == json(4));
  CHECK(quantize(1.2, make({{"distribution", "q_uniform"}, {"min", 1}, {"max", 10}, {"q", 3}})) == json(0));
}

TEST_CASE("The grid lists W&B's points", "[sweep]") {
  CHECK(grid_values(make({{"min", 1}, {"max", 4}})) == std::vector<json>{1, 2, 3, 4});
  CHECK(grid_values(make({{"distribution", "q_uniform"}, {"min", 0}, {"max", 10}, {"q", 3}})) ==
        std::vector<json>{0, 3, 6, 9});
  const auto floats = grid_values(make({{"distribution", "q_uniform"}, {"min", 0}, {"max", 1}, {"q", 0.25}}));
  CHECK(floats == std::vector<json>{0.0, 0.25, 0.5, 0.75});  // max excluded, as numpy.arange
  CHECK(grid_values(make({{"value", "x"}})) == std::vector<json>{"x"});
  CHECK(grid_values(make({{"min", 0.0}, {"max", 1.0}})).empty());
  CHECK(grid_size(make({{"min", 1}, {"max", 4}})) == 4);
}

TEST_CASE("Normal functions are accurate into the tails", "[sweep]") {
  CHECK(normal_cdf(0) == Approx(0.5));
  CHECK(normal_cdf(1.96) == Approx(0.9750021048517795).epsilon(1e-12));
  for (const double p : {1e-300, 1e-10, 0.001, 0.3, 0.5, 0.8, 0.999, 1 - 1e-12}) {
    const double x = normal_ppf(p);
    CHECK(normal_cdf(x) == Approx(p).epsilon(1e-9));
  }
  CHECK(log_normal_cdf(-40) == Approx(-804.6084420137538).epsilon(1e-10));  // scipy.special.log_ndtr(-40)
  CHECK(log_gauss_mass(50, 55) == Approx(-1254.8313611).epsilon(1e-8));     // far right tail, still finite
  CHECK(log_gauss_mass(-1, 1) == Approx(std::log(0.6826894921370859)));
  CHECK(truncated_normal_ppf(0.5, -1, 1) == Approx(0).margin(1e-12));
  CHECK(truncated_normal_ppf(0.0, 2, 3) == Approx(2));
  CHECK(truncated_normal_ppf(0.999999, 2, 3) <= 3);
}
