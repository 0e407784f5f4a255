// The Parzen estimators against numbers Optuna 3.1's _ParzenEstimator gives for the same
// observations (computed with Debian's python3-optuna 3.1.0).
#include <choline/sweep/parzen.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace choline::sweep;

TEST_CASE("Bandwidths, weights and densities match Optuna's for a float parameter", "[sweep]") {
  const NumericParzen pe({0.2, 0.5, 0.55, 0.9}, 0.0, 1.0, 0, {});
  CHECK(pe.mus() == std::vector<double>{0.2, 0.5, 0.55, 0.9, 0.5});
  const std::vector<double> sigmas{0.3, 0.3, 0.35, 0.35, 1.0};
  for (std::size_t i = 0; i < sigmas.size(); ++i) CHECK(pe.sigmas()[i] == Approx(sigmas[i]));
  for (const double w : pe.weights()) CHECK(w == Approx(0.2));
  CHECK(pe.log_pdf(0.0) == Approx(-1.1265434717566964));
  CHECK(pe.log_pdf(0.3) == Approx(-0.7340543717874023));
  CHECK(pe.log_pdf(0.52) == Approx(-0.6457099191511962));
  CHECK(pe.log_pdf(1.0) == Approx(-0.9768781821075246));
}

TEST_CASE("Without equal heights the mixture is a density", "[sweep]") {
  ParzenOptions textbook;
  textbook.equal_height_kernels = false;
  const NumericParzen pe({0.2, 0.5, 0.55, 0.9}, 0.0, 1.0, 0, textbook);
  double integral = 0;
  constexpr int steps = 10000;
  for (int i = 0; i < steps; ++i) integral += std::exp(pe.log_pdf((i + 0.5) / steps)) / steps;
  CHECK(integral == Approx(1.0).epsilon(1e-6));
  // Optuna's equal heights differ from it by each kernel's log(sigma).
  const NumericParzen optuna({0.2, 0.5, 0.55, 0.9}, 0.0, 1.0, 0, {});
  CHECK(optuna.log_pdf(0.3) < pe.log_pdf(0.3));
}

TEST_CASE("An int parameter uses the grid mass and the magic clip", "[sweep]") {
  // IntDistribution(1, 5): bounds [0.5, 5.5], step 1.
  const NumericParzen pe({1, 3, 3}, 0.5, 5.5, 1, {});
  const std::vector<double> sigmas{2, 2, 1, 5};  // the tie at 3 is clipped to 5 / min(100, 5) = 1
  for (std::size_t i = 0; i < sigmas.size(); ++i) CHECK(pe.sigmas()[i] == Approx(sigmas[i]));
  CHECK(pe.log_pdf(1) == Approx(-1.6827751970283498));
  CHECK(pe.log_pdf(2) == Approx(-1.4188535041932595));
  CHECK(pe.log_pdf(3) == Approx(-1.335280595990537));
  CHECK(pe.log_pdf(5) == Approx(-2.1753239304604417));
}

TEST_CASE("A log parameter lives in log space", "[sweep]") {
  const NumericParzen pe({std::log(1e-4), std::log(1e-3)}, std::log(1e-5), std::log(1e-1), 0, {});
  CHECK(pe.sigmas()[0] == Approx(2.302585092994046));
  CHECK(pe.sigmas()[1] == Approx(2.302585092994046));
  CHECK(pe.sigmas()[2] == Approx(9.210340371976184));
  CHECK(pe.log_pdf(std::log(1e-4)) == Approx(-0.5457537077904965));
  CHECK(pe.log_pdf(std::log(1e-2)) == Approx(-0.8152727021017281));
}

TEST_CASE("No observations leave the prior alone", "[sweep]") {
  const NumericParzen pe({}, 0.0, 1.0, 0, {});
  CHECK(pe.mus() == std::vector<double>{0.5});
  CHECK(pe.sigmas() == std::vector<double>{1.0});
  CHECK(pe.log_pdf(0.5) == Approx(0.04097780049094957));
}

TEST_CASE("A far-away grid point keeps a finite density", "[sweep]") {
  const NumericParzen pe({0}, -0.5, 1000.5, 1, {});
  CHECK(pe.log_pdf(1000) == Approx(-7.465702262404909));
}

TEST_CASE("Categorical kernels smooth toward the prior", "[sweep]") {
  const CategoricalParzen pe({0, 2, 2}, {1.0 / 3, 1.0 / 3, 1.0 / 3}, {});
  CHECK(pe.log_pdf(0) == Approx(-1.0986122886681098));
  CHECK(pe.log_pdf(1) == Approx(-1.6582280766035324));
  CHECK(pe.log_pdf(2) == Approx(-0.7419373447293772));
  // A categorical_w_probabilities prior replaces the uniform one.
  const CategoricalParzen weighted({}, {0.9, 0.1}, {});
  CHECK(weighted.probabilities()[0] == Approx(0.9));
}

TEST_CASE("Older observations weigh less past 25", "[sweep]") {
  CHECK(tpe_weights(3) == std::vector<double>{1, 1, 1});
  const auto w = tpe_weights(30);
  REQUIRE(w.size() == 30);
  CHECK(w[0] == Approx(1.0 / 30));
  CHECK(w[1] == Approx(0.275));
  CHECK(w[2] == Approx(0.5166666666666667));
  CHECK(w[4] == 1.0);
  CHECK(w[29] == 1.0);
}

TEST_CASE("Draws stay in bounds and follow the mixture", "[sweep]") {
  const NumericParzen pe({0.1}, 0.0, 1.0, 0, {});
  Rng rng(5);
  int near = 0;
  for (int i = 0; i < 4000; ++i) {
    const double x = pe.sample(rng);
    REQUIRE(x >= 0.0);
    REQUIRE(x <= 1.0);
    if (x < 0.3) ++near;
  }
  // Half the mass is the kernel at 0.1 (bandwidth 0.4), half the broad prior: about 39% below 0.3.
  CHECK(near > 1400);
  std::vector<double> counts(3);
  const CategoricalParzen cat({2, 2, 2}, {1.0 / 3, 1.0 / 3, 1.0 / 3}, {});
  for (int i = 0; i < 3000; ++i) counts[static_cast<std::size_t>(cat.sample(rng))]++;
  CHECK(counts[2] / 3000 == Approx(cat.probabilities()[2]).margin(0.03));
}
