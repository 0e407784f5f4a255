#pragma once
// The sweep loop: runs up to `parallel` trials at once on a pool of hosts rented once
// (run::SharedPool), each trial a run under the sweep. A slot asks sweep_policy what to do next,
// asks the searcher for parameters, runs the trial through the run layer (so a lost host is
// replaced and the trial resumes from its checkpoint, as any run does), feeds the trial's
// metrics to the stopper and stops it when told, tells the searcher the outcome, and journals
// everything in sweep.json. Every host is released at the end, on failure and on a stop.
//
// A trial receives its parameters as `--name=value` after the entry (or as the config's
// `command` template says) and as CHOLINE_TRIAL (its id) and CHOLINE_PARAMS (a JSON object) in
// the workers' environment.

#include <choline/providers/provider.hpp>
#include <choline/records/sweep_record.hpp>
#include <choline/run/host_session.hpp>
#include <choline/run/seams.hpp>
#include <choline/sweep/config.hpp>
#include <choline/util/clock.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace choline::sweep {

struct SweepSeams {
  providers::Provider* provider = nullptr;
  run::HostOpener open_host;
  util::Clock* clock = &util::system_clock();
  std::function<double()> wall_clock = util::epoch_seconds;
  // Ctrl-C, or `choline stop SWEEP` from elsewhere: the trials stop (they resume with
  // `choline sweep resume`) and every host is released. Polled often, from several threads.
  std::function<bool()> stop_requested;
  run::RunHooks hooks;  // checkpoints_pulled is passed on to every trial (model cards)
  std::chrono::milliseconds poll_every{100};
  util::Clock::Duration checkpoint_pull_every = run::k_checkpoint_pull_every;
  // Changes each trial's run seams before it runs (tests shorten its intervals).
  std::function<void(run::Seams&)> adjust_trial_seams;
};

struct SweepJob {
  SweepConfig config;
  // What every trial runs before its parameters: the job's argv from the entry and its
  // arguments (spec::make_job_command). With a `command` template in the config, the template
  // is expanded instead (command.hpp), with `program` the entry and the interpreter `python`.
  std::vector<std::string> base_argv;
  std::string python = "python3";
  std::map<std::string, std::string> forwarded_env;  // values of options.env here (never journaled)
};

// The argv of one trial.
Result<std::vector<std::string>> trial_command(const SweepJob& job, const std::string& entry,
                                               const nlohmann::json& params);

// Runs (or, for a sweep.json that has trials, resumes) the sweep until every trial ran, the
// search is exhausted, the money is spent, it gives up, or it is stopped. Trials running when a
// previous driver died are re-attached (or resumed from their checkpoints), queued and lost ones
// started again. Returns 0 when the sweep finished, 130 when stopped, 1 when it failed.
Result<int> run_sweep(records::SweepRecord& sweep, const SweepJob& job, SweepSeams& seams, std::ostream& out);

}  // namespace choline::sweep
