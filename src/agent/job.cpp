#include <choline/agent/job.hpp>

namespace choline::agent {

nlohmann::json JobSpec::to_json() const {
  return {{"run_id", run_id},         {"attempt", attempt},         {"max_restarts", max_restarts},
          {"node_rank", node_rank},   {"nodes", nodes},             {"slots", slots},
          {"master_addr", master_addr}, {"master_port", master_port}, {"command", command},
          {"checkpoint_dir", checkpoint_dir}, {"resume_from", resume_from}, {"env", env}};
}

Result<JobSpec> job_from_json(const nlohmann::json& j) {
  try {
    JobSpec job;
    job.run_id = j.at("run_id").get<std::string>();
    job.attempt = j.at("attempt").get<int>();
    job.max_restarts = j.value("max_restarts", 0);
    job.node_rank = j.at("node_rank").get<int>();
    job.nodes = j.at("nodes").get<int>();
    job.slots = j.at("slots").get<int>();
    job.master_addr = j.at("master_addr").get<std::string>();
    job.master_port = j.at("master_port").get<int>();
    job.command = j.at("command").get<std::vector<std::string>>();
    job.checkpoint_dir = j.value("checkpoint_dir", "checkpoints");
    job.resume_from = j.value("resume_from", "");
    job.env = j.value("env", std::map<std::string, std::string>{});
    if (job.command.empty() || job.slots < 1 || job.nodes < 1 || job.node_rank < 0 || job.node_rank >= job.nodes) {
      return make_error(ErrorKind::usage, "job spec is inconsistent");
    }
    return job;
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::usage, std::string("bad job spec: ") + e.what());
  }
}

namespace {
constexpr std::string_view k_marker_head = "=== choline: attempt ";
constexpr std::string_view k_marker_tail = " ===";
}  // namespace

std::string attempt_marker(int attempt) {
  return std::string(k_marker_head) + std::to_string(attempt) + std::string(k_marker_tail);
}

std::optional<int> parse_attempt_marker(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() <= k_marker_head.size() + k_marker_tail.size() || line.substr(0, k_marker_head.size()) != k_marker_head ||
      line.substr(line.size() - k_marker_tail.size()) != k_marker_tail) {
    return std::nullopt;
  }
  const std::string_view digits = line.substr(k_marker_head.size(), line.size() - k_marker_head.size() - k_marker_tail.size());
  if (digits.size() > 6) return std::nullopt;
  int attempt = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    attempt = attempt * 10 + (c - '0');
  }
  return attempt;
}

std::map<std::string, std::string> worker_env(const JobSpec& job, int local_rank, const std::string& project_dir) {
  std::map<std::string, std::string> env = job.env;
  const int rank = job.node_rank * job.slots + local_rank;
  const auto set = [&](const std::string& key, const std::string& value) { env[key] = value; };
  set("RANK", std::to_string(rank));
  set("LOCAL_RANK", std::to_string(local_rank));
  set("WORLD_SIZE", std::to_string(job.world_size()));
  set("LOCAL_WORLD_SIZE", std::to_string(job.slots));
  set("GROUP_RANK", std::to_string(job.node_rank));
  set("GROUP_WORLD_SIZE", std::to_string(job.nodes));
  set("ROLE_NAME", "default");
  set("ROLE_RANK", std::to_string(rank));
  set("ROLE_WORLD_SIZE", std::to_string(job.world_size()));
  set("MASTER_ADDR", job.master_addr);
  set("MASTER_PORT", std::to_string(job.master_port));
  set("TORCHELASTIC_RESTART_COUNT", std::to_string(job.attempt - 1));
  set("TORCHELASTIC_MAX_RESTARTS", std::to_string(job.max_restarts));
  set("TORCHELASTIC_RUN_ID", job.run_id);
  set("TORCHELASTIC_USE_AGENT_STORE", "False");
  set("CHOLINE_RUN_ID", job.run_id);
  set("CHOLINE_ATTEMPT", std::to_string(job.attempt));
  set("CHOLINE_CKPT_DIR", project_dir + "/" + job.checkpoint_dir);
  set("CHOLINE_RESUME_FROM", job.resume_from.empty() ? "" : project_dir + "/" + job.resume_from);
  // Live logs: Python would otherwise hold output back in a pipe-sized buffer.
  set("PYTHONUNBUFFERED", "1");
  // torchrun's rule: several workers on one node get one OpenMP thread each unless told.
  if (job.slots > 1 && !env.count("OMP_NUM_THREADS")) set("OMP_NUM_THREADS", "1");
  return env;
}

}  // namespace choline::agent
