#pragma once
// What the laptop asks an agent to run: one attempt of the job on one node. Sent as JSON on
// the agent's stdin (never on its command line, where `ps` would show forwarded secrets).

#include <choline/error.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::agent {

// Workers report metrics by printing `choline-metrics: {json}` lines (rank 0's count). The
// records layer collects them into metrics.jsonl; the logs layer keeps them out of the live view.
inline constexpr std::string_view k_metrics_prefix = "choline-metrics: ";

struct JobSpec {
  std::string run_id;
  int attempt = 1;
  int max_restarts = 0;
  int node_rank = 0;
  int nodes = 1;
  int slots = 1;  // workers on this node
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::vector<std::string> command;
  std::string checkpoint_dir = "checkpoints";  // relative to the project directory
  std::string resume_from;                     // relative to the project directory, "" for none
  std::map<std::string, std::string> env;      // forwarded from the laptop
  // The laptop holds none of this host's log bytes for this run yet (the host is new to the run's
  // record): logs the host kept from an earlier stay of the same run (a pooled host that takes a
  // sweep's trial back) would otherwise stream again as new bytes. They go before it starts.
  bool fresh_logs = false;

  int world_size() const { return nodes * slots; }
  nlohmann::json to_json() const;
};

Result<JobSpec> job_from_json(const nlohmann::json& j);

// The environment torchrun gives worker `local_rank`, plus choline's own variables. Paths are
// absolute, under `project_dir` on the host.
std::map<std::string, std::string> worker_env(const JobSpec& job, int local_rank, const std::string& project_dir);

// The line the supervisor writes into every rank's log before the attempt's worker starts.
std::string attempt_marker(int attempt);

// The attempt number of a marker line (without its newline), or nullopt for any other line.
std::optional<int> parse_attempt_marker(std::string_view line);

// Where things live under an agent's root directory on a host.
struct AgentLayout {
  std::string root;
  std::string project() const { return root + "/project"; }
  std::string logs() const { return root + "/logs"; }
  std::string rank_log(int rank) const { return logs() + "/rank-" + std::to_string(rank) + ".log"; }
  std::string state_file() const { return root + "/state.json"; }
  std::string job_file() const { return root + "/job.json"; }
  std::string agent_log() const { return root + "/agent.log"; }
};

}  // namespace choline::agent
