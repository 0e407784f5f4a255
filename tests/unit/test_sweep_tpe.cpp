// TPE: Optuna's split of finished trials, the startup phase, seeding, and that it learns.
#include <choline/sweep/basic_searchers.hpp>
#include <choline/sweep/tpe.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>

using namespace choline::sweep;
using json = nlohmann::json;

namespace {

SearchSpace space_of(const json& parameters) {
  Problems problems;
  auto space = parse_search_space(parameters, "parameters", problems);
  REQUIRE(problems.empty());
  return space;
}

// Runs `trials` trials of `searcher` on `objective`, returning the parameters asked.
std::vector<json> drive(Searcher& searcher, int trials, const std::function<double(const json&)>& objective) {
  std::vector<json> asked;
  for (int id = 0; id < trials; ++id) {
    auto params = searcher.ask(id);
    REQUIRE(params);
    asked.push_back(*params);
    searcher.tell(id, TrialOutcome::complete(objective(*params)));
  }
  return asked;
}

const json k_unit = {{"x", {{"min", 0.0}, {"max", 1.0}}}};

}  // namespace

TEST_CASE("gamma is 10% of the finished trials, at least 1, at most 25", "[sweep]") {
  CHECK(tpe_gamma(1) == 1);
  CHECK(tpe_gamma(10) == 1);
  CHECK(tpe_gamma(11) == 2);
  CHECK(tpe_gamma(100) == 10);
  CHECK(tpe_gamma(249) == 25);
  CHECK(tpe_gamma(1000) == 25);
}

TEST_CASE("Complete trials rank before pruned ones, deeper pruned ones first", "[sweep]") {
  const std::vector<TrialOutcome> outcomes = {
      TrialOutcome::pruned(0.1, 3),            // 0: pruned early with a great value
      TrialOutcome::complete(0.9),             // 1
      TrialOutcome::complete(0.5),             // 2
      TrialOutcome::pruned(0.7, 9),            // 3: pruned deep
      TrialOutcome::pruned_without_reports(),  // 4
      TrialOutcome::pruned(0.2, 9),            // 5: as deep, better
      TrialOutcome::pruned(std::nan(""), 9),   // 6: NaN after the numbers of its depth
  };
  CHECK(tpe_order(outcomes, Goal::minimize) == std::vector<std::size_t>{2, 1, 5, 3, 6, 0, 4});
  CHECK(tpe_order(outcomes, Goal::maximize) == std::vector<std::size_t>{1, 2, 3, 5, 6, 0, 4});
  // Ties keep trial order.
  CHECK(tpe_order({TrialOutcome::complete(1), TrialOutcome::complete(1)}, Goal::minimize) ==
        std::vector<std::size_t>{0, 1});
}

TEST_CASE("The same seed and the same tells give the same asks", "[sweep]") {
  const SearchSpace space = space_of({{"x", {{"min", -5.0}, {"max", 10.0}}},
                                      {"lr", {{"distribution", "log_uniform_values"}, {"min", 1e-5}, {"max", 0.1}}},
                                      {"n", {{"min", 1}, {"max", 8}}},
                                      {"act", {{"values", {"relu", "gelu", "tanh"}}}}});
  const auto objective = [](const json& p) {
    return std::pow(p["x"].get<double>() - 2, 2) + std::abs(std::log10(p["lr"].get<double>()) + 3) +
           (p["act"] == "gelu" ? 0 : 1) + p["n"].get<double>() * 0.1;
  };
  auto a = make_tpe_searcher(space, Goal::minimize, {}, 11);
  auto b = make_tpe_searcher(space, Goal::minimize, {}, 11);
  auto c = make_tpe_searcher(space, Goal::minimize, {}, 12);
  const auto asked_a = drive(*a, 25, objective);
  const auto asked_b = drive(*b, 25, objective);
  const auto asked_c = drive(*c, 25, objective);
  CHECK(asked_a == asked_b);
  CHECK(asked_a != asked_c);
  for (const auto& p : asked_a) {
    REQUIRE(p["n"].is_number_integer());
    REQUIRE(p["n"].get<int>() >= 1);
    REQUIRE(p["n"].get<int>() <= 8);
    REQUIRE(p["lr"].get<double>() >= 1e-5);
    REQUIRE(p["lr"].get<double>() <= 0.1);
  }
}

TEST_CASE("Startup trials are random draws, and failed trials do not end the startup, finished ones do", "[sweep]") {
  const SearchSpace space = space_of(k_unit);
  auto fresh = make_tpe_searcher(space, Goal::minimize, {}, 5);
  std::vector<json> random_draws;
  for (int id = 0; id < 11; ++id) random_draws.push_back(*fresh->ask(id));  // nothing told: all startup

  auto failing = make_tpe_searcher(space, Goal::minimize, {}, 5);
  for (int id = 0; id < 10; ++id) {
    CHECK(*failing->ask(id) == random_draws[static_cast<std::size_t>(id)]);
    failing->tell(id, TrialOutcome::failed());
  }
  CHECK(*failing->ask(10) == random_draws[10]);  // 0 finished < 10: still random

  auto pruning = make_tpe_searcher(space, Goal::minimize, {}, 5);
  for (int id = 0; id < 10; ++id) {
    pruning->ask(id);
    pruning->tell(id, TrialOutcome::pruned(0.5, 1));  // pruned trials count toward the startup
  }
  CHECK(*pruning->ask(10) != random_draws[10]);

  TpeSettings three;
  three.startup_trials = 3;
  auto short_startup = make_tpe_searcher(space, Goal::minimize, three, 5);
  for (int id = 0; id < 3; ++id) {
    short_startup->ask(id);
    short_startup->tell(id, TrialOutcome::complete(id));
  }
  CHECK(*short_startup->ask(3) != random_draws[3]);
}

TEST_CASE("TPE concentrates where the objective is good, in the goal's direction", "[sweep]") {
  const SearchSpace space = space_of(k_unit);
  const auto distance_after_startup = [&](Goal goal, double optimum, std::uint64_t seed) {
    auto tpe = make_tpe_searcher(space, goal, {}, seed);
    const double sign = goal == Goal::minimize ? 1 : -1;
    const auto asked =
        drive(*tpe, 40, [&](const json& p) { return sign * std::pow(p["x"].get<double>() - optimum, 2); });
    double total = 0;
    for (std::size_t i = 20; i < asked.size(); ++i) total += std::abs(asked[i]["x"].get<double>() - optimum);
    return total / 20;
  };
  // Uniform draws are 0.34 away from 0.8 on average; TPE's later trials must be much closer.
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    CHECK(distance_after_startup(Goal::minimize, 0.8, seed) < 0.12);
    CHECK(distance_after_startup(Goal::maximize, 0.2, seed) < 0.12);
  }
}

TEST_CASE("TPE picks the good category", "[sweep]") {
  const SearchSpace space = space_of({{"act", {{"values", {"relu", "gelu", "tanh", "silu"}}}}});
  auto tpe = make_tpe_searcher(space, Goal::minimize, {}, 1);
  const auto asked = drive(*tpe, 40, [](const json& p) { return p["act"] == "silu" ? 0.0 : 1.0; });
  int silu = 0;
  for (std::size_t i = 20; i < asked.size(); ++i) silu += asked[i]["act"] == "silu";
  CHECK(silu >= 12);  // uniform would give 5 of 20
}

TEST_CASE("TPE handles every distribution and nested parameters", "[sweep]") {
  const SearchSpace space = space_of(
      {{"q", {{"distribution", "q_uniform"}, {"min", 0}, {"max", 10}, {"q", 2}}},
       {"ql", {{"distribution", "q_log_uniform_values"}, {"min", 1}, {"max", 1000}, {"q", 10}}},
       {"inv", {{"distribution", "inv_log_uniform_values"}, {"min", 0.01}, {"max", 1}}},
       {"nrm", {{"distribution", "q_normal"}, {"mu", 5}, {"sigma", 2}, {"q", 0.5}}},
       {"lgn", {{"distribution", "log_normal"}}},
       {"bt", {{"distribution", "beta"}, {"a", 2}, {"b", 2}}},
       {"cw", {{"values", {"x", "y"}}, {"probabilities", {0.2, 0.8}}}},
       {"opt", {{"parameters", {{"momentum", {{"min", 0.5}, {"max", 0.99}}}, {"name", {{"value", "sgd"}}}}}}}});
  auto tpe = make_tpe_searcher(space, Goal::minimize, {}, 2);
  const auto asked = drive(*tpe, 30, [](const json& p) {
    return std::abs(p["q"].get<double>() - 6) + std::abs(p["opt"]["momentum"].get<double>() - 0.9) +
           std::abs(p["nrm"].get<double>() - 6);
  });
  for (const auto& p : asked) {
    REQUIRE(p["q"].is_number_integer());
    REQUIRE(p["q"].get<int>() % 2 == 0);
    REQUIRE(p["ql"].is_number_integer());
    REQUIRE(p["ql"].get<int>() % 10 == 0);
    REQUIRE(p["nrm"].is_number_float());
    REQUIRE(std::fmod(p["nrm"].get<double>(), 0.5) == 0);
    REQUIRE(p["lgn"].get<double>() > 0);
    REQUIRE(p["bt"].get<double>() >= 0);
    REQUIRE(p["bt"].get<double>() <= 1);
    REQUIRE(p["opt"]["name"] == "sgd");
    REQUIRE(p["opt"]["momentum"].get<double>() >= 0.5);
  }
}

TEST_CASE("Adopted trials teach TPE, and impossible ones are refused", "[sweep]") {
  const SearchSpace space = space_of({{"x", {{"min", 0.0}, {"max", 1.0}}}, {"n", {{"values", {1, 2}}}}});
  auto tpe = make_tpe_searcher(space, Goal::minimize, {}, 3);
  const auto missing = tpe->adopt(0, {{"x", 0.5}});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "the trial's parameters lack 'n'");
  const auto outside = tpe->adopt(0, {{"x", 1.5}, {"n", 1}});
  REQUIRE_FALSE(outside);
  CHECK(outside.error().message == "'x' = 1.5 is not a value of uniform in this space");
  CHECK_FALSE(tpe->adopt(0, {{"x", 0.5}, {"n", 3}}));
  // Twenty adopted trials, the two best (gamma(20) = 2) near 0.9: TPE's own asks go there.
  for (int id = 0; id < 20; ++id) {
    const double x = id < 2 ? 0.9 + 0.02 * id : 0.04 * (id - 2);
    REQUIRE(tpe->adopt(id, {{"x", x}, {"n", 1}}));
    tpe->tell(id, TrialOutcome::complete(id < 2 ? 0.0 : 1.0));
  }
  int near = 0;
  for (int id = 20; id < 30; ++id) {
    const auto p = tpe->ask(id);
    near += p->at("x").get<double>() > 0.75;
    tpe->tell(id, TrialOutcome::failed());
  }
  CHECK(near >= 7);
}

TEST_CASE("Random and bayes come from make_searcher with the config's goal", "[sweep]") {
  SweepConfig config;
  config.space = space_of(k_unit);
  config.method = Method::random;
  auto random_a = make_searcher(config, 9);
  auto random_b = make_random_searcher(config.space, 9);
  for (int id = 0; id < 5; ++id) CHECK(*random_a->ask(id) == *random_b->ask(id));
  config.method = Method::bayes;
  config.metric = Metric{"acc", Goal::maximize, std::nullopt};
  auto tpe = make_searcher(config, 0);
  const auto asked = drive(*tpe, 40, [](const json& p) { return -std::abs(p["x"].get<double>() - 0.3); });
  double total = 0;
  for (std::size_t i = 20; i < asked.size(); ++i) total += std::abs(asked[i]["x"].get<double>() - 0.3);
  CHECK(total / 20 < 0.12);
}
