#pragma once
// The run lifecycle's decisions, pure: given a snapshot of the run and one event, the actions to
// carry out next. Everything that decides (restart the gang, replace node 1, give up, finish) is
// here and unit-tested; the controller (controller.cpp) only carries actions out and turns what
// it observes into events. No I/O and no clock: time arrives inside events.
//
// The loop, as the controller runs it:
//   event -> (the record notes what the event says happened) -> decide(snapshot_of(record), event)
//   -> actions -> (each action's outcome) -> event ...
// The record is changed only on the loop's thread, between events, so the snapshot decide() reads
// is exactly what the events so far have said: N nodes prepared in parallel are N Prepared
// events, and only the one that makes every node ready finds them all ready.

#include <choline/agent/job_state.hpp>
#include <choline/error.hpp>
#include <choline/records/run_record.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace choline::run {

// ---- How an attempt ended -------------------------------------------------------------------

enum class AttemptOutcome { succeeded, failed, stopped };

struct AttemptResult {
  AttemptOutcome outcome = AttemptOutcome::succeeded;
  int exit_code = 0;        // the job's: 0, else the first failed rank's code (1 when unknown)
  std::string description;  // "succeeded", "failed: rank 1 exited 3", "stopped"
  std::optional<int> failed_rank;
};

// Gang semantics over every node's final job state: one failure fails the attempt, a stop (or a
// state that is not final) anywhere stops it.
AttemptResult combine_attempt(const std::vector<agent::JobState>& node_states);

// The run state an attempt's outcome ends the run in, when it is not retried.
records::RunState final_state_of(AttemptOutcome outcome);

// ---- The snapshot the decisions read ----------------------------------------------------------

enum class NodePhase {
  absent,   // no host serves the node (never rented, or released)
  created,  // a host is rented (perhaps still booting) and not yet prepared
  ready,    // agent, project and setup are in place; no job runs
  running,  // the current attempt runs on it
};

struct NodeView {
  NodePhase phase = NodePhase::absent;
  // The host ran an attempt as node 0, so it wrote (and holds) the checkpoints: the laptop's
  // copies need not be pushed back to it.
  bool holds_checkpoints = false;
};

struct Snapshot {
  records::RunState state = records::RunState::provisioning;
  std::vector<NodeView> nodes;  // by node index; as many as the spec asks for
  int attempt = 0;              // the last attempt started (0: none yet)
  bool attempt_running = false;
  int restarts = 0;
  int max_restarts = 0;
  int host_losses = 0;
  int max_host_losses = 0;
  int host_timeout_s = 10;
  int replacement_timeout_s = 1800;
  int replacement_waited_s = 0;  // waited so far for replacements (journaled "replacement_wait" events)
  int provision_failures = 0;    // creates refused so far (journaled "provision_failed" events)
  // `choline logs -f` watches a run nobody else drives: it records how the attempt ended and
  // releases the hosts, but restarting or replacing is left to `choline resume`.
  bool observer = false;
};

Snapshot snapshot_of(const records::RunRecord& record, bool observer = false);

// ---- Events: what happened ------------------------------------------------------------------

namespace event {
struct Start {};  // a new run, or a resume whose hosts run no job: rent what is missing, launch
struct Resumed {
  bool job_running = false;  // the hosts still run the current attempt: re-attach
};
// Hosts are up (several that came up together arrive as one event, so they are prepared
// together).
struct Provisioned {
  std::vector<int> nodes;
};
struct ProvisionFailed {
  int node = 0;
  Error error;
};
struct Prepared {
  int node = 0;
};
struct PrepareFailed {
  int node = 0;
  Error error;
};
struct LaunchFailed {
  int node = 0;
  Error error;
};
struct AttemptEnded {
  AttemptResult result;
};
struct HostLost {
  int node = 0;
  std::string reason;
};
struct HeartbeatMissed {
  int node = 0;
  double silent_s = 0;     // seconds since the host last proved alive
  std::string last_error;  // why its stream broke, if it did
};
struct Interrupted {
  bool stop = false;  // the user's answer to Ctrl-C: stop the run, or detach from it
};
// `choline stop`, or whoever drives the run from outside (a sweep stopping a trial early).
struct StopRequested {
  std::string why = "stopped by choline stop";
};
// A Wait is over: try to rent the node's host again.
struct WaitOver {
  int node = 0;
};
struct CostLimitReached {
  double spent = 0;
};
}  // namespace event

using Event = std::variant<event::Start, event::Resumed, event::Provisioned, event::ProvisionFailed, event::Prepared,
                           event::PrepareFailed, event::LaunchFailed, event::AttemptEnded, event::HostLost,
                           event::HeartbeatMissed, event::Interrupted, event::StopRequested, event::CostLimitReached,
                           event::WaitOver>;

// ---- Actions: what to do --------------------------------------------------------------------

namespace action {
// Rent a host for the node (never one of the machines this run lost), journal it, wait until it
// is up, connect. Outcome: Provisioned or ProvisionFailed.
struct Create {
  int node = 0;
};
// Install the agent, push the project, run setup, check the interpreter. Outcome: Prepared or
// PrepareFailed.
struct Prepare {
  int node = 0;
};
// Stop the job on every host that serves a node (but `except_node`, which cannot answer); the
// running attempt ends with `why`.
struct StopWorkers {
  std::string why;
  std::optional<int> except_node;
};
// Bring node 0's checkpoints home.
struct PullCheckpoints {};
// Give the node's host back. `lost`: it is counted and recorded as a host loss, for `reason`.
struct Release {
  int node = 0;
  std::string reason;
  bool lost = false;
};
// Push the laptop's checkpoints to `spread_to`, then start attempt `attempt` on every node from
// the newest complete checkpoint. `restart`: a gang restart after a job failure, the run's
// `restart_number`-th. Outcome: LaunchFailed, or nothing (the next action follows).
struct Launch {
  int attempt = 1;
  std::vector<int> spread_to;
  bool restart = false;
  int restart_number = 0;
};
// Watch logs and heartbeats until something happens. Outcome: AttemptEnded, HostLost,
// HeartbeatMissed, Interrupted or CostLimitReached.
struct Follow {};
// Wait before renting the node's host again (no replacement can be had yet), saying why.
// Outcome: WaitOver, or Interrupted.
struct Wait {
  int node = 0;
  int seconds = 0;
  std::string why;
};
// Leave the job running and stop watching it.
struct Detach {};
// Release every host, record the final state, report. The run is over for this process.
struct Finish {
  records::RunState state = records::RunState::succeeded;
  std::string reason;
  int exit_code = 0;
  std::optional<Error> error;      // reported to the user as the command's error
  std::optional<int> failed_rank;  // the rank whose failure ended the run: its last lines are shown
};
}  // namespace action

using Action =
    std::variant<action::Create, action::Prepare, action::StopWorkers, action::PullCheckpoints, action::Release,
                 action::Launch, action::Follow, action::Wait, action::Detach, action::Finish>;
using Actions = std::vector<Action>;

// Creates a run may see refused (no capacity, offer gone, API down) before it gives up.
inline constexpr int k_max_create_tries = 5;

// Whether a refused create is worth another try on the next offer: capacity, a gone offer,
// network trouble; not a bad key, a wrong request or Ctrl-C.
bool may_try_another_offer(const Error& error);

// Interpreters to try, in order, when `configured` has no torch on a host that is this machine
// (a pyenv or venv python3 first on PATH is common): python3, /usr/bin/python3, python.
std::vector<std::string> fallback_interpreters(const std::string& configured);

// Whether a host whose configured interpreter has no torch is worth asking for another: only
// where the "host" is this machine, on which a pyenv or venv python3 first on PATH is common.
bool should_try_other_interpreters(const Error& error, bool shares_this_machine);

// The interpreter a run may use on a host without asking the host whether it has torch, or
// nullopt to ask. A host a pool lends warm was prepared for the same setup commands and the same
// configured interpreter, and that preparation found torch in `checked` (`configured` itself or
// one of its fallbacks): asking again on every run of a sweep would cost a round trip (an
// interpreter's start) between trials and tell nothing new. A cold host (new, a replacement, one
// adopted by a resumed sweep, or prepared for other setup) is asked, and so is a warm one whose
// check is not known or names an interpreter this configuration would never have settled on.
std::optional<std::string> interpreter_known_on_host(bool warm, const std::string& checked,
                                                     const std::string& configured);

// Whether an error from a host means the host is gone (rather than the job or the user being
// wrong): connection lost, unreachable, timed out.
bool is_host_loss(const Error& error);

// The decision.
Actions decide(const Snapshot& snapshot, const Event& event);

// What the command that drove the run returns once it finished: the error the Finish carries,
// else a journal write that failed on the way (the run could not be recorded as it went), else
// the Finish's exit code.
Result<int> command_result(const action::Finish& finish, const std::optional<Error>& journal_error);

// For messages and tests: "Create(1)", "Launch(2, restart)", "Finish(failed)".
std::string describe(const Action& action);

}  // namespace choline::run
