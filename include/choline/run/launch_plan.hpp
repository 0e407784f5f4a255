#pragma once
// How an attempt is started on the hosts, pure: which nodes get the laptop's checkpoints, the
// job each node's agent runs, where each host's logs start in the laptop's files, the master
// port rules and the verdict of the multi-node preflight. launch.cpp and preflight.cpp carry
// these out.

#include <choline/agent/job.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/lifecycle.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace choline::run {

// The nodes the laptop's checkpoints are pushed to before the attempt: those the lifecycle
// named, and none when there is no checkpoint to resume from.
std::vector<int> nodes_to_seed(const action::Launch& launch, const std::string& resume_from);

// The job every node runs in attempt `launch.attempt`, by node: the run's command, world shape,
// node 0's address and record.master_port, the checkpoint to resume from, the forwarded
// environment (`env`; choline.json's "sync" reaches the C++ runtime as CHOLINE_SYNC unless `env`
// sets it).
std::vector<agent::JobSpec> build_job_specs(const records::RunRecord& record, int attempt,
                                            const std::string& resume_from,
                                            const std::map<std::string, std::string>& env);

// Where the host's byte 0 of each of its ranks falls in the laptop's rank files: for a host on
// its first attempt, what the laptop already holds (a replacement's logs start at 0, the
// laptop's one continuous log per rank does not); a host that ran an attempt keeps its bases.
std::map<int, std::uint64_t> log_base_for(const records::HostRecord& host, int node,
                                          const std::map<int, std::uint64_t>& held);

// Master ports are picked below Linux's ephemeral range (32768-60999 by default), where any
// outgoing connection on node 0 could hold the port: 20000 + random % 12000.
int master_port_from(std::uint32_t random);

// Picks of a master port node 0 may try before the launch fails.
inline constexpr int k_max_port_picks = 5;

// Whether node 0 could not listen because the port is taken (another run or program holds it)
// and another pick is allowed after `picks` picks.
bool should_pick_port_again(const Error& error, int picks);

// The multi-node preflight's verdict: for each node but 0 (`others`, in order), the ports of
// node 0 it could not reach (or the error that kept it from trying). LaunchFailed for the first
// node that cannot take part, saying what to do; nullopt when every node reaches node 0.
std::optional<Event> preflight_verdict(const std::string& master, const std::vector<int>& others,
                                       const std::vector<Result<std::vector<int>>>& unreachable_ports);

}  // namespace choline::run
