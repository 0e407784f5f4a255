#pragma once
// When a run must stop for --max-cost, pure. The executor asks with the journal's cost at the
// wall-clock time its seams give (so a fake clock can run a test run past its budget).

#include <choline/records/cost.hpp>

#include <optional>

namespace choline::run {

// How long stopping a run takes (stop workers, pull checkpoints, release), paid on top of what is
// spent when the stop begins.
inline constexpr double k_stop_margin_s = 60;

// The money spent, once what is spent plus the held hosts' price over k_stop_margin_s would pass
// `max_cost`; nullopt while the run may go on (and always without a limit).
std::optional<double> cost_limit_reached(const records::RunCost& cost, std::optional<double> max_cost);

}  // namespace choline::run
