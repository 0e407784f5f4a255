#pragma once
// The searchers, behind one ask/tell interface. The executor asks for a trial's parameters when
// it has a slot, runs the trial, and tells the searcher what became of it; nothing here does I/O
// or reads a clock, so a searcher is a value that can be driven from a test or a journal.
//
//   auto searcher = make_searcher(config, seed);
//   while (auto params = searcher->ask(next_id)) { start(next_id++, *params); ... }
//   ... searcher->tell(id, TrialOutcome::complete(0.93));
//
// Methods: grid (W&B's grid: every combination in order, then exhausted), random (W&B's
// sampling of each distribution), bayes = TPE as Optuna 3.1's TPESampler (tpe.hpp), and pbt,
// whose initial population is drawn as random does (perturbations are pbt.hpp's).
//
// Determinism: the same seed, the same space and the same sequence of ask/tell/adopt calls give
// the same parameters. Parallel executors interleave calls in the order trials finish, so
// journal the calls (or the trials) to replay a sweep.

#include <choline/error.hpp>
#include <choline/sweep/config.hpp>
#include <choline/sweep/trial.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace choline::sweep {

class Searcher {
 public:
  virtual ~Searcher() = default;

  // The parameters for trial `trial_id` (a nested JSON object, space.hpp), or nullopt when the
  // space is exhausted (grid only). Trial ids are the executor's; give them in increasing order
  // of start: TPE weighs older trials less.
  virtual std::optional<nlohmann::json> ask(int trial_id) = 0;

  // What became of a trial asked (or adopted) before. Unknown ids are ignored; a second tell
  // for the same id replaces the first (a trial resumed after a host loss ends again).
  virtual void tell(int trial_id, const TrialOutcome& outcome) = 0;

  // A trial that ran with `params` without this searcher asking for it: one from a journal when
  // a sweep resumes, or one the user added. The grid marks its point as taken; TPE learns from
  // it once told its outcome. Errors (usage) when `params` misses a parameter of the space or
  // holds a value it cannot have.
  virtual Status adopt(int trial_id, const nlohmann::json& params) = 0;
};

// The searcher for `config.method` over `config.space`, minimizing or maximizing
// `config.goal()`, with `config.tpe` for bayes. The config must have passed
// check_sweep_config (a grid over a continuous parameter is a bug here).
std::unique_ptr<Searcher> make_searcher(const SweepConfig& config, std::uint64_t seed);

}  // namespace choline::sweep
