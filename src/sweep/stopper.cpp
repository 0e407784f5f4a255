#include <choline/sweep/stopper.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace choline::sweep {

namespace {

class NoStopper final : public Stopper {
 public:
  StopDecision report(int, std::int64_t, double) override { return {}; }
};

}  // namespace

double linear_percentile(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double position = q / 100.0 * static_cast<double>(values.size() - 1);
  const auto low = static_cast<std::size_t>(std::floor(position));
  const std::size_t high = std::min(low + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(low);
  return values[low] + fraction * (values[high] - values[low]);
}

std::unique_ptr<Stopper> make_no_stopper() {
  return std::make_unique<NoStopper>();
}

std::unique_ptr<Stopper> make_stopper(const SweepConfig& config) {
  switch (config.stopper) {
    case StopperKind::asha:
      return make_asha_stopper(config.asha, config.goal());
    case StopperKind::hyperband:
      return make_hyperband_stopper(config.hyperband, config.goal());
    case StopperKind::median:
      return make_median_stopper(config.median, config.goal());
    case StopperKind::none:
      break;
  }
  return make_no_stopper();
}

}  // namespace choline::sweep
