#pragma once
// `choline stop SWEEP`: every trial stopped (checkpoints pulled), every host of the sweep's pool
// released. A sweep driven by a live process is asked to stop (the stop file) and waited for:
// that process releases what it holds. A sweep whose driver died is stopped from its journal.

#include <choline/records/sweep_record.hpp>

#include <ostream>

namespace choline::sweep {

// The pid of the live process driving `sweep`, or 0 when none does.
int sweep_driver_pid(const records::SweepRecord& sweep);

// Stops the sweep. Trials that were running are queued again (`choline sweep resume` goes on
// from their checkpoints). Returns 0, or 1 when a host could not be released (named).
Result<int> stop_sweep(records::SweepRecord& sweep, std::ostream& out);

}  // namespace choline::sweep
