#pragma once
// The executor of the run lifecycle: it carries out the actions lifecycle.hpp decides (rent,
// prepare, launch, follow, stop, release, finish) and turns what it observes into the next event.
// What it does is in its parts (src/run/execution.hpp); what to do is decided in pure code
// (lifecycle, host_choice, launch_plan, watch_policy, cost_policy). Everything that matters for
// money or recovery is journaled in run.json before it is acted on.

#include <choline/records/run_record.hpp>
#include <choline/run/lifecycle.hpp>
#include <choline/run/seams.hpp>

#include <map>
#include <ostream>
#include <string>

namespace choline::run {

// Runs the lifecycle on `record` from `first` until the run finishes or is detached, on hosts from
// seams.pool (or the run's own pool). `job_env` holds the forwarded variables' values (never
// journaled). `observer`: see Snapshot::observer. Returns the job's exit code (130 when detached
// or stopped by Ctrl-C), or the error that ended the run before its job could.
Result<int> execute(records::RunRecord& record, Seams& seams, const Event& first,
                    const std::map<std::string, std::string>& job_env, std::ostream& out, bool observer = false);

}  // namespace choline::run
