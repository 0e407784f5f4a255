#include <choline/report/metric_series.hpp>

#include <catch2/catch.hpp>

using namespace choline::records;
using namespace choline::report;
using nlohmann::json;

namespace {
MetricPoint point(int attempt, std::int64_t step, json values) {
  values["step"] = step;
  return {attempt, step, values};
}
}  // namespace

TEST_CASE("Metric names put the loss first, skip step and non-numeric values", "[run][metrics]") {
  const std::vector<MetricPoint> history = {point(1, 0, {{"loss", 2.3}, {"lr", 0.1}, {"note", "warmup"}}),
                                            point(1, 10, {{"accuracy", 0.5}, {"flag", true}})};
  CHECK(metric_names(history) == std::vector<std::string>{"loss", "accuracy", "lr"});
  CHECK(loss_metric({"accuracy", "train_loss", "val_loss"}) == "train_loss");
  CHECK(loss_metric({"accuracy", "lr"}) == "accuracy");
  CHECK_FALSE(loss_metric({}));
}

TEST_CASE("A series holds the numeric values of one metric with their attempts", "[run][metrics]") {
  const std::vector<MetricPoint> history = {point(1, 0, {{"loss", 2.0}}), point(1, 5, {{"acc", 0.1}}),
                                            point(2, 10, {{"loss", 1}}), point(2, 20, {{"loss", "nan"}})};
  CHECK(series_of(history, "loss") == std::vector<SeriesPoint>{{0, 2.0, 1}, {10, 1.0, 2}});
  CHECK(series_of(history, "missing").empty());
}

TEST_CASE("Latest values and values as of a step", "[run][metrics]") {
  const std::vector<MetricPoint> history = {point(1, 0, {{"loss", 2.0}, {"epoch", 0}}), point(1, 5, {{"acc", 0.1}}),
                                            point(2, 10, {{"loss", 1.5}, {"epoch", 1}})};
  const auto latest = latest_values(history);
  REQUIRE(latest.size() == 3);
  CHECK(latest.at("loss").value == 1.5);
  CHECK(latest.at("loss").step == 10);
  CHECK(latest.at("loss").attempt == 2);
  CHECK(latest.at("loss").count == 2);
  CHECK(latest.at("acc").step == 5);
  CHECK(values_at(history, 7) == json{{"loss", 2.0}, {"epoch", 0}, {"acc", 0.1}});
  CHECK(values_at(history, -1) == json::object());
}
