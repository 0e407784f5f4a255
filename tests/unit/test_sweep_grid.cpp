// W&B's grid: every combination in order, points adopted from a journal skipped, then exhausted.
#include <choline/sweep/basic_searchers.hpp>

#include <catch2/catch.hpp>

using namespace choline::sweep;
using json = nlohmann::json;

namespace {

SearchSpace grid_space() {
  Problems problems;
  auto space =
      parse_search_space({{"a", {{"values", {"x", "y"}}}}, {"b", {{"min", 1}, {"max", 3}}}, {"c", {{"value", 7}}}},
                         "parameters", problems);
  REQUIRE(problems.empty());
  return space;
}

}  // namespace

TEST_CASE("The grid walks the cartesian product, the last parameter fastest", "[sweep]") {
  auto grid = make_grid_searcher(grid_space());
  std::vector<json> asked;
  for (int id = 0; id < 10; ++id) {
    auto params = grid->ask(id);
    if (!params) break;
    asked.push_back(*params);
  }
  CHECK(asked == std::vector<json>{{{"a", "x"}, {"b", 1}, {"c", 7}},
                                   {{"a", "x"}, {"b", 2}, {"c", 7}},
                                   {{"a", "x"}, {"b", 3}, {"c", 7}},
                                   {{"a", "y"}, {"b", 1}, {"c", 7}},
                                   {{"a", "y"}, {"b", 2}, {"c", 7}},
                                   {{"a", "y"}, {"b", 3}, {"c", 7}}});
  CHECK_FALSE(grid->ask(11));
}

TEST_CASE("Points adopted from a journal are not asked again", "[sweep]") {
  auto grid = make_grid_searcher(grid_space());
  REQUIRE(grid->adopt(0, {{"a", "x"}, {"b", 1}, {"c", 7}}));
  REQUIRE(grid->adopt(1, {{"a", "y"}, {"b", 3.0}, {"c", 7}}));  // 3.0 == 3, as W&B's hash treats it
  const auto not_a_point = grid->adopt(2, {{"a", "z"}, {"b", 1}});
  REQUIRE_FALSE(not_a_point);
  CHECK(not_a_point.error().message == "'a' = \"z\" is not a point of the grid");
  int count = 0;
  while (auto params = grid->ask(10 + count)) {
    CHECK(*params != json{{"a", "x"}, {"b", 1}, {"c", 7}});
    ++count;
  }
  CHECK(count == 4);
}

TEST_CASE("q_uniform grids list numpy.arange's points", "[sweep]") {
  Problems problems;
  auto space = parse_search_space({{"q", {{"distribution", "q_uniform"}, {"min", 0}, {"max", 1}, {"q", 0.5}}}},
                                  "parameters", problems);
  auto grid = make_grid_searcher(space);
  CHECK(*grid->ask(0) == json{{"q", 0.0}});
  CHECK(*grid->ask(1) == json{{"q", 0.5}});
  CHECK_FALSE(grid->ask(2));
}

TEST_CASE("Random search is reproducible from its seed", "[sweep]") {
  Problems problems;
  auto space = parse_search_space({{"x", {{"min", 0.0}, {"max", 1.0}}}}, "parameters", problems);
  auto a = make_random_searcher(space, 4);
  auto b = make_random_searcher(space, 4);
  auto c = make_random_searcher(space, 5);
  const auto first = *a->ask(0);
  CHECK(first == *b->ask(0));
  CHECK(first != *c->ask(0));
  CHECK(a->adopt(1, {{"x", 0.5}}));
  CHECK_FALSE(a->adopt(1, {{"x", 2.0}}));
}
