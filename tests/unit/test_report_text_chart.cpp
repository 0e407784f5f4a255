#include <choline/report/text_chart.hpp>

#include <catch2/catch.hpp>

using namespace choline::report;

TEST_CASE("Binning spreads the step range over the columns, first and last steps at the ends", "[run][chart]") {
  std::vector<SeriesPoint> points;
  for (int step = 0; step <= 100; step += 10) points.push_back({step, static_cast<double>(step), step < 50 ? 1 : 2});
  const auto bins = bin_by_step(points, 11);
  REQUIRE(bins.size() == 11);
  for (std::size_t k = 0; k < bins.size(); ++k) {
    REQUIRE(bins[k]);
    CHECK(bins[k]->count == 1);
    CHECK(bins[k]->first_step == static_cast<std::int64_t>(k) * 10);
  }
  CHECK(bins[4]->attempt == 1);
  CHECK(bins[5]->attempt == 2);

  const auto two = bin_by_step(points, 2);
  REQUIRE(two.size() == 2);
  CHECK(two[0]->count + two[1]->count == points.size());
  CHECK(two[0]->last_step == 50);
  CHECK(two[1]->first_step == 60);
  CHECK(two[1]->last_step == 100);
  CHECK(two[0]->count == 6);
  CHECK(two[0]->mean == Approx(25.0));
}

TEST_CASE("Binning: empty, one step, and more columns than points", "[run][chart]") {
  CHECK(bin_by_step({}, 10).empty());
  CHECK(bin_by_step({{1, 1.0, 1}}, 0).empty());
  const auto one = bin_by_step({{7, 1.0, 1}, {7, 3.0, 1}}, 5);
  REQUIRE(one.size() == 5);
  REQUIRE(one[0]);
  CHECK(one[0]->mean == Approx(2.0));
  CHECK_FALSE(one[4]);
  const auto sparse = bin_by_step({{0, 1.0, 1}, {10, 2.0, 1}}, 6);
  CHECK(sparse[0]);
  CHECK(sparse[5]);
  CHECK_FALSE(sparse[2]);
}

TEST_CASE("Rows map the highest value to the top and the lowest to the bottom", "[run][chart]") {
  CHECK(row_for(10, 0, 10, 5) == 0);
  CHECK(row_for(0, 0, 10, 5) == 4);
  CHECK(row_for(5, 0, 10, 5) == 2);
  CHECK(row_for(99, 0, 10, 5) == 0);  // clamped
  CHECK(row_for(3, 3, 3, 5) == 2);    // a constant series sits in the middle
}

TEST_CASE("The text chart draws a falling loss from top left to bottom right, attempts apart", "[run][chart]") {
  std::vector<SeriesPoint> points;
  for (int step = 0; step < 40; ++step) points.push_back({step, 40.0 - step, step < 20 ? 1 : 2});
  const auto lines = render_text_chart(points, {20, 6});
  REQUIRE(lines.size() == 6 + 3);
  CHECK(lines[0].find("|*") != std::string::npos);  // the highest mean, first column
  CHECK(lines[5].back() == 'o');                    // attempt 2's marker, last column, bottom row
  // Two steps per column: the top label is the first column's mean, the bottom one the last's.
  CHECK(lines[0].substr(lines[0].find_first_not_of(' '), 5) == "39.5 ");
  CHECK(lines[5].substr(lines[5].find_first_not_of(' '), 4) == "1.5 ");
  CHECK(lines[6].find("+--------------------") != std::string::npos);
  CHECK(lines[7].find("39  step") != std::string::npos);
  CHECK(lines[8].find("* attempt 1") != std::string::npos);
  CHECK(lines[8].find("o attempt 2") != std::string::npos);
  CHECK(render_text_chart({}).empty());
  CHECK(attempt_marker(7) == '*');
}
