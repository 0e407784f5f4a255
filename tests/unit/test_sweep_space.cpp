// Parameter specs as W&B defines them: inference, validation, nesting.
#include <choline/sweep/space.hpp>

#include <catch2/catch.hpp>

using namespace choline::sweep;
using json = nlohmann::json;

namespace {

std::optional<Parameter> parse(const json& spec, std::vector<std::string>* messages = nullptr) {
  Problems problems;
  auto p = parse_parameter(spec, "parameters.x", problems);
  if (messages) {
    for (const auto& problem : problems.list()) messages->push_back(problem.path + ": " + problem.message);
  }
  return p;
}

Distribution inferred(const json& spec) {
  auto p = parse(spec);
  REQUIRE(p);
  return p->distribution;
}

}  // namespace

TEST_CASE("The distribution is inferred as W&B's first matching schema", "[sweep]") {
  CHECK(inferred({{"values", {1, 2, 3}}}) == Distribution::categorical);
  CHECK(inferred({{"values", {"a", "b"}}, {"probabilities", {0.3, 0.7}}}) == Distribution::categorical_w_probabilities);
  CHECK(inferred({{"min", 1}, {"max", 8}}) == Distribution::int_uniform);
  CHECK(inferred({{"min", 1}, {"max", 8.0}}) == Distribution::uniform);
  CHECK(inferred({{"min", 0.0}, {"max", 1}}) == Distribution::uniform);
  CHECK(inferred({{"value", "adam"}}) == Distribution::constant);
  CHECK(inferred({{"distribution", "normal"}}) == Distribution::normal);
}

TEST_CASE("Defaults fill in as W&B fills them", "[sweep]") {
  auto normal = parse({{"distribution", "normal"}});
  REQUIRE(normal);
  CHECK(normal->mu == 0);
  CHECK(normal->sigma == 1);
  auto q = parse({{"distribution", "q_uniform"}, {"min", 0}, {"max", 10}});
  REQUIRE(q);
  CHECK(q->q == 1.0);
  CHECK_FALSE(q->q_is_integer);  // W&B's default q is the float 1.0
  auto qi = parse({{"distribution", "q_uniform"}, {"min", 0}, {"max", 10}, {"q", 2}});
  REQUIRE(qi);
  CHECK(qi->q_is_integer);
  auto beta = parse({{"distribution", "beta"}});
  REQUIRE(beta);
  CHECK(beta->a == 1);
  CHECK(beta->b == 1);
}

TEST_CASE("Impossible parameters are problems naming the key", "[sweep]") {
  std::vector<std::string> m;
  CHECK_FALSE(parse({{"min", 5}, {"max", 1}}, &m));
  REQUIRE(m.size() == 1);
  CHECK(m[0] == "parameters.x.min: must be less than max (5 >= 1)");

  m.clear();
  CHECK_FALSE(parse({{"distribution", "log_uniform_values"}, {"min", 0}, {"max", 1}}, &m));
  REQUIRE(m.size() == 1);
  CHECK(m[0].rfind("parameters.x.min: log_uniform_values needs min > 0", 0) == 0);

  m.clear();
  CHECK_FALSE(parse({{"values", json::array()}}, &m));
  CHECK(m == std::vector<std::string>{"parameters.x.values: must be a non-empty list, got []"});

  m.clear();
  CHECK_FALSE(parse({{"values", {1, 2}}, {"probabilities", {0.5, 0.6}}}, &m));
  CHECK(m == std::vector<std::string>{"parameters.x.probabilities: must sum to 1, they sum to 1.1"});

  m.clear();
  CHECK_FALSE(parse({{"values", {1, 2}}, {"probabilities", {1.0}}}, &m));
  CHECK(m == std::vector<std::string>{"parameters.x.probabilities: 1 probabilities for 2 values: give one per value"});

  m.clear();
  CHECK_FALSE(parse({{"distribution", "int_uniform"}, {"min", 1.5}, {"max", 4}}, &m));
  CHECK(m == std::vector<std::string>{"parameters.x.min: int_uniform needs an integer, got 1.5"});

  m.clear();
  CHECK_FALSE(parse({{"min", 1}, {"max", 4}, {"mu", 0}}, &m));
  CHECK(m == std::vector<std::string>{"parameters.x.mu: is not a key of int_uniform (it takes min, max)"});

  m.clear();
  CHECK_FALSE(parse({{"distribution", "normal"}, {"sigma", 0}}, &m));
  CHECK(m == std::vector<std::string>{"parameters.x.sigma: must be > 0"});

  m.clear();
  CHECK_FALSE(parse({{"distribution", "uniform"}, {"min", "0"}, {"max", 1}}, &m));
  CHECK(m == std::vector<std::string>{"parameters.x.min: must be a number, got \"0\""});

  m.clear();
  CHECK_FALSE(parse({{"min", 1}}, &m));
  CHECK(m == std::vector<std::string>{"parameters.x: has min but no max: a range needs both"});
}

TEST_CASE("Several problems of one parameter come back together", "[sweep]") {
  std::vector<std::string> m;
  CHECK_FALSE(parse({{"distribution", "q_uniform"}, {"min", 3}, {"max", 1}, {"q", -1}, {"extra", 1}}, &m));
  CHECK(m.size() == 3);
}

TEST_CASE("The deprecated exponent distributions are refused with W&B's advice", "[sweep]") {
  for (const char* name : {"log_uniform", "q_log_uniform", "inv_log_uniform"}) {
    std::vector<std::string> m;
    CHECK_FALSE(parse({{"distribution", name}, {"min", -5}, {"max", 0}}, &m));
    REQUIRE(m.size() == 1);
    CHECK(m[0].find("base-e exponents") != std::string::npos);
    CHECK(m[0].find(std::string(name) + "_values") != std::string::npos);
  }
}

TEST_CASE("categorical with probabilities needs the other distribution name", "[sweep]") {
  std::vector<std::string> m;
  CHECK_FALSE(parse({{"distribution", "categorical"}, {"values", {1, 2}}, {"probabilities", {0.5, 0.5}}}, &m));
  REQUIRE(m.size() == 1);
  CHECK(m[0].find("categorical_w_probabilities") != std::string::npos);
}

TEST_CASE("A typo in a distribution name gets a suggestion", "[sweep]") {
  std::vector<std::string> m;
  CHECK_FALSE(parse({{"distribution", "log_unifrom_values"}, {"min", 1}, {"max", 2}}, &m));
  REQUIRE(m.size() == 1);
  CHECK(m[0] ==
        "parameters.x.distribution: unknown distribution 'log_unifrom_values' (did you mean log_uniform_values?)");
}

TEST_CASE("Nested parameters flatten into paths and assemble back", "[sweep]") {
  Problems problems;
  const json parameters = {
      {"lr", {{"min", 0.001}, {"max", 0.1}}},
      {"optimizer",
       {{"parameters",
         {{"name", {{"value", "adam"}}}, {"betas", {{"parameters", {{"b1", {{"values", {0.9, 0.95}}}}}}}}}}}},
  };
  const SearchSpace space = parse_search_space(parameters, "parameters", problems);
  REQUIRE(problems.empty());
  REQUIRE(space.entries.size() == 3);
  CHECK(space.entries[0].name() == "lr");
  CHECK(space.entries[1].name() == "optimizer.betas.b1");
  CHECK(space.entries[2].name() == "optimizer.name");
  const json params = space.assemble({0.01, 0.95, "adam"});
  CHECK(params == json{{"lr", 0.01}, {"optimizer", {{"betas", {{"b1", 0.95}}}, {"name", "adam"}}}});
  CHECK(SearchSpace::lookup(params, {"optimizer", "betas", "b1"}) == json(0.95));
  CHECK_FALSE(SearchSpace::lookup(params, {"optimizer", "gamma"}));
}

TEST_CASE("Bad names, empty nests and mixed nests are problems", "[sweep]") {
  Problems problems;
  parse_search_space({{"1lr", {{"value", 1}}},
                      {"ok", {{"parameters", json::object()}}},
                      {"mixed", {{"parameters", {{"a", {{"value", 1}}}}}, {"value", 2}}}},
                     "parameters", problems);
  REQUIRE(problems.list().size() == 3);
  std::vector<std::string> paths;
  for (const auto& p : problems.list()) paths.push_back(p.path);
  CHECK(std::find(paths.begin(), paths.end(), "parameters.1lr") != paths.end());
  CHECK(std::find(paths.begin(), paths.end(), "parameters.mixed") != paths.end());
  CHECK(std::find(paths.begin(), paths.end(), "parameters.ok.parameters") != paths.end());
  CHECK(valid_parameter_name("a.b-c_1"));
  CHECK_FALSE(valid_parameter_name("a b"));
  CHECK_FALSE(valid_parameter_name(""));
}
