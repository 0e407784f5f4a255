#include <choline/run/launch_plan.hpp>

#include <choline/util/strings.hpp>

#include <algorithm>

namespace choline::run {

std::vector<int> nodes_to_seed(const action::Launch& launch, const std::string& resume_from) {
  if (resume_from.empty()) return {};
  return launch.spread_to;
}

std::vector<agent::JobSpec> build_job_specs(const records::RunRecord& record, int attempt,
                                            const std::string& resume_from,
                                            const std::map<std::string, std::string>& env) {
  const int nodes = std::max(1, record.options.spec.nodes);
  const records::HostRecord* master = record.current_host(0);
  std::vector<agent::JobSpec> jobs;
  for (int node = 0; node < nodes; ++node) {
    const records::HostRecord* host = record.current_host(node);
    agent::JobSpec job;
    job.run_id = record.id;
    job.attempt = attempt;
    job.max_restarts = record.options.max_restarts;
    job.node_rank = node;
    job.nodes = nodes;
    job.slots = host ? host->host.slots : 1;
    job.master_addr = master ? master->host.address : "127.0.0.1";
    job.master_port = record.master_port;
    job.command = record.command;
    job.checkpoint_dir = record.options.checkpoint_dir;
    job.resume_from = resume_from;
    // A host record without a launched agent is new to this run: the laptop holds none of its
    // log bytes (log_base_for counts its log from byte 0).
    job.fresh_logs = host && host->agent_pid == 0;
    job.env = env;
    if (!record.options.sync.empty()) job.env.try_emplace("CHOLINE_SYNC", record.options.sync);
    jobs.push_back(std::move(job));
  }
  return jobs;
}

std::map<int, std::uint64_t> log_base_for(const records::HostRecord& host, int node,
                                          const std::map<int, std::uint64_t>& held) {
  if (host.agent_pid != 0) return host.log_base;
  std::map<int, std::uint64_t> base;
  for (int local = 0; local < host.host.slots; ++local) {
    const int rank = node * host.host.slots + local;
    const auto it = held.find(rank);
    base[rank] = it == held.end() ? 0 : it->second;
  }
  return base;
}

int master_port_from(std::uint32_t random) {
  return 20000 + static_cast<int>(random % 12000);
}

bool should_pick_port_again(const Error& error, int picks) {
  return picks < k_max_port_picks && error.message.find("Address already in use") != std::string::npos;
}

std::optional<Event> preflight_verdict(const std::string& master, const std::vector<int>& others,
                                       const std::vector<Result<std::vector<int>>>& unreachable_ports) {
  for (std::size_t k = 0; k < others.size() && k < unreachable_ports.size(); ++k) {
    const auto& result = unreachable_ports[k];
    if (!result) return event::LaunchFailed{others[k], result.error().with_context("multi-node preflight")};
    if (result->empty()) continue;
    std::vector<std::string> which;
    for (int port : *result) which.push_back(std::to_string(port));
    return event::LaunchFailed{
        others[k],
        make_error(
            ErrorKind::unsupported,
            "node " + std::to_string(others[k]) + " cannot reach node 0 at " + master + " on port(s) " +
                util::join(which, ", ") +
                ": torch.distributed needs every node to reach node 0 on arbitrary ports, which marketplace "
                "hosts behind NAT usually do not allow. Run on one host with all the GPUs instead (e.g. --1x8... "
                "rather than --nodes), or use offers in one datacenter (Lambda, RunPod secure cloud)")};
  }
  return std::nullopt;
}

}  // namespace choline::run
