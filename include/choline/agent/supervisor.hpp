#pragma once
// The agent's worker supervisor: a daemon (its own session, so it outlives the SSH connection
// and the laptop) that runs one worker per slot with the torchrun environment, appends each
// worker's output to logs/rank-<r>.log, and on any worker failure stops the others (torchrun's
// gang semantics). Its progress is state.json, written atomically; the laptop decides restarts.

#include <choline/agent/job.hpp>
#include <choline/agent/job_state.hpp>

#include <nlohmann/json.hpp>

#include <sys/types.h>

namespace choline::agent {

// How long workers get between SIGTERM and SIGKILL when the gang is stopped.
inline constexpr int k_stop_grace_seconds = 10;

// Writes job.json and an initial state, then starts `self_exe agent supervise` detached.
// Returns the supervisor's pid, which is also its process group id. Fails if a supervisor is
// already running for this root.
Result<pid_t> launch_supervisor(const AgentLayout& layout, const JobSpec& job, const std::string& self_exe);

// The daemon's body; returns its exit code.
int supervise(const AgentLayout& layout);

// state.json, or an error if there is none yet.
Result<nlohmann::json> read_state(const AgentLayout& layout);

// The supervisor's pid in a state object; 0 when absent or not a valid pid.
pid_t state_pid(const nlohmann::json& state);

// True for a state whose workers have all ended.
bool state_is_final(const nlohmann::json& state);

// Whether the supervisor named in a (non-final) state still runs and is not stopped (SIGSTOP),
// i.e. whether the job's processes are alive on this host. A state from before the supervisor
// started (pid 0) counts as alive.
bool supervisor_responsive(const nlohmann::json& state);

// Asks the supervisor to stop its workers (SIGTERM); returns once it has written a final state
// or after the grace period plus a margin.
Status stop_supervisor(const AgentLayout& layout);

}  // namespace choline::agent
