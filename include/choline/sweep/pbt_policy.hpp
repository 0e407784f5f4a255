#pragma once
// Population-based training inside a sweep, pure: who the population is, as the journal has it,
// and what an exploit does to a trial's record. The executor (executor.cpp) asks
// PopulationBasedTraining::decide() (pbt.hpp) at every metric a trial reports, and carries an
// exploit out as a stop, a copy and a relaunch: the trial's run is stopped (its newest
// checkpoints pulled home), its checkpoints are replaced by the source trial's, and it is queued
// again with the new parameters; the next free slot resumes its run from the copied checkpoint.

#include <choline/records/sweep_record.hpp>
#include <choline/sweep/pbt.hpp>

#include <set>
#include <string>
#include <vector>

namespace choline::sweep {

// The members decide() ranks: the running trials, and the finished ones (they still rank, and
// their checkpoints can be copied, but they are never due: their check is marked done).
// `with_checkpoint`: the trials whose newest checkpoint is at home.
std::vector<PbtMember> pbt_population(const records::SweepRecord& sweep, const std::set<int>& with_checkpoint);

// Marks the round's due trials checked (their perturbed_at is their resource now), and returns
// the exploits to carry out: those whose trial is running and not being replaced already
// (`replacing`).
std::vector<PbtExploit> take_round(records::SweepRecord& sweep, const PbtRound& round, const std::set<int>& replacing);

// The trial, stopped for `exploit`, takes the source's parameters: its old ones are recorded with
// the resource it had reached, its next check counts from the source's resource
// (`source_resource`: its latest metric's; the copied checkpoint may be a pull older, so the
// next check may come a little late, never early), and `why` says where it goes on from.
void apply_exploit(records::TrialRecord& trial, const PbtExploit& exploit, std::int64_t source_resource,
                   const std::string& resource_name, const std::string& now);

// Whether a queued trial waits to go on from a copy (it was replaced after its last start): its
// next start is not a new try. Read from the journal, so a resumed sweep knows it too.
bool goes_on_from_copy(const records::TrialRecord& trial);

}  // namespace choline::sweep
