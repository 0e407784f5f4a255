#include <choline/sweep/trial.hpp>

#include <cstdio>

namespace choline::sweep {

const char* to_string(TrialState state) {
  switch (state) {
    case TrialState::complete:
      return "complete";
    case TrialState::pruned:
      return "pruned";
    case TrialState::failed:
      return "failed";
  }
  return "?";
}

std::string format_metric(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace choline::sweep
