// scripts/bench-sweep's driver: runs one of choline's searchers on a synthetic benchmark
// function (sweeps.md section 4) and prints, per seed, the best value found after each trial:
//
//   choline_sweep_bench --function branin|hartmann6 --searcher tpe|tpe-textbook|random [--seeds 20] [--trials 50]
//   (tpe-textbook: TPE with the textbook kernel density instead of Optuna 3.1's, parzen.hpp)
//   -> "seed,best_after_1,best_after_2,...,best_after_T" per line
#include <choline/sweep/config.hpp>
#include <choline/sweep/searcher.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <string>
#include <vector>

using namespace choline::sweep;
using json = nlohmann::json;

namespace {

double branin(const json& p) {
  const double x1 = p["x1"].get<double>();
  const double x2 = p["x2"].get<double>();
  const double pi = std::numbers::pi;
  const double b = 5.1 / (4 * pi * pi), c = 5 / pi, r = 6, s = 10, t = 1 / (8 * pi);
  const double inner = x2 - b * x1 * x1 + c * x1 - r;
  return inner * inner + s * (1 - t) * std::cos(x1) + s;
}

double hartmann6(const json& p) {
  static constexpr double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static constexpr double a[4][6] = {
      {10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
  static constexpr double pm[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                      {2329, 4135, 8307, 3736, 1004, 9991},
                                      {2348, 1451, 3522, 2883, 3047, 6650},
                                      {4047, 8828, 8732, 5743, 1091, 381}};
  double total = 0;
  for (int i = 0; i < 4; ++i) {
    double exponent = 0;
    for (int j = 0; j < 6; ++j) {
      const double d = p["x" + std::to_string(j)].get<double>() - pm[i][j] * 1e-4;
      exponent += a[i][j] * d * d;
    }
    total += alpha[i] * std::exp(-exponent);
  }
  return -total;
}

int usage() {
  std::fprintf(stderr,
               "usage: choline_sweep_bench --function branin|hartmann6 --searcher tpe|tpe-textbook|random [--seeds N] "
               "[--trials T]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string function, searcher_name;
  int seeds = 20, trials = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--function")
      function = argv[i + 1];
    else if (flag == "--searcher")
      searcher_name = argv[i + 1];
    else if (flag == "--seeds")
      seeds = std::atoi(argv[i + 1]);
    else if (flag == "--trials")
      trials = std::atoi(argv[i + 1]);
    else
      return usage();
  }
  const bool tpe = searcher_name == "tpe" || searcher_name == "tpe-textbook";
  json config = {{"method", tpe ? "bayes" : "random"}, {"metric", {{"name", "f"}, {"goal", "minimize"}}}};
  if (function == "branin") {
    config["parameters"] = {{"x1", {{"min", -5.0}, {"max", 10.0}}}, {"x2", {{"min", 0.0}, {"max", 15.0}}}};
  } else if (function == "hartmann6") {
    for (int j = 0; j < 6; ++j) config["parameters"]["x" + std::to_string(j)] = {{"min", 0.0}, {"max", 1.0}};
  } else {
    return usage();
  }
  if (!tpe && searcher_name != "random") return usage();
  auto parsed = sweep_config_from_json(config, "bench");
  if (!parsed) {
    std::fprintf(stderr, "%s\n", parsed.error().message.c_str());
    return 1;
  }
  parsed->tpe.equal_height_kernels = searcher_name != "tpe-textbook";
  for (int seed = 0; seed < seeds; ++seed) {
    auto searcher = make_searcher(*parsed, static_cast<std::uint64_t>(seed));
    double best = INFINITY;
    std::printf("%d", seed);
    for (int trial = 0; trial < trials; ++trial) {
      const auto params = searcher->ask(trial);
      const double value = function == "branin" ? branin(*params) : hartmann6(*params);
      searcher->tell(trial, TrialOutcome::complete(value));
      best = std::min(best, value);
      std::printf(",%.9g", best);
    }
    std::printf("\n");
  }
  return 0;
}
