#pragma once
// What became of a trial, as the searchers and stoppers are told it.

#include <cstdint>
#include <optional>
#include <string>

namespace choline::sweep {

enum class TrialState {
  complete,  // ran to its end; `value` is its final objective
  pruned,    // stopped early by a stopper (or by the user); `value` at `resource` is its last report
  failed,    // crashed, lost, or gave no usable value: searchers leave it out (Optuna does too)
};

const char* to_string(TrialState state);

// A metric value in a decision's text: six significant digits ("0.523", "1.2e-05").
std::string format_metric(double value);

struct TrialOutcome {
  TrialState state = TrialState::complete;
  std::optional<double> value;           // in the metric's own units, not sign-flipped
  std::optional<std::int64_t> resource;  // pruned: the step or epoch of `value`

  static TrialOutcome complete(double value) { return {TrialState::complete, value, std::nullopt}; }
  static TrialOutcome pruned(double last_value, std::int64_t resource) {
    return {TrialState::pruned, last_value, resource};
  }
  static TrialOutcome pruned_without_reports() { return {TrialState::pruned, std::nullopt, std::nullopt}; }
  static TrialOutcome failed() { return {TrialState::failed, std::nullopt, std::nullopt}; }
};

}  // namespace choline::sweep
