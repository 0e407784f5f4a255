// Trials best first for status tables.
#include <choline/sweep/ranking.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace choline::sweep;

namespace {

std::vector<int> ids(const std::vector<TrialScore>& ranked) {
  std::vector<int> out;
  for (const auto& t : ranked) out.push_back(t.trial_id);
  return out;
}

}  // namespace

TEST_CASE("Trials rank best first by the goal, ties by id, unscored last", "[sweep]") {
  const std::vector<TrialScore> trials = {{4, 0.5}, {1, 0.9}, {3, std::nullopt}, {2, 0.5}, {5, std::nan("")}, {0, 0.1}};
  CHECK(ids(rank_trials(trials, Goal::minimize)) == std::vector<int>{0, 2, 4, 1, 3, 5});
  CHECK(ids(rank_trials(trials, Goal::maximize)) == std::vector<int>{1, 2, 4, 0, 3, 5});
  CHECK(rank_trials({}, Goal::minimize).empty());
}

TEST_CASE("A target is reached from the goal's side", "[sweep]") {
  CHECK(target_reached({"acc", Goal::maximize, 0.9}, 0.9));
  CHECK_FALSE(target_reached({"acc", Goal::maximize, 0.9}, 0.89));
  CHECK(target_reached({"loss", Goal::minimize, 0.1}, 0.05));
  CHECK_FALSE(target_reached({"loss", Goal::minimize, 0.1}, std::nan("")));
  CHECK_FALSE(target_reached({"loss", Goal::minimize, std::nullopt}, -1e9));
}
