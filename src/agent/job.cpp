#include <choline/agent/job.hpp>

#include <choline/util/json.hpp>

namespace choline::agent {

nlohmann::json JobSpec::to_json() const {
  return {{"run_id", run_id},
          {"attempt", attempt},
          {"max_restarts", max_restarts},
          {"node_rank", node_rank},
          {"nodes", nodes},
          {"slots", slots},
          {"master_addr", master_addr},
          {"master_port", master_port},
          {"command", command},
          {"checkpoint_dir", checkpoint_dir},
          {"resume_from", resume_from},
          {"env", env},
          {"fresh_logs", fresh_logs}};
}

Result<JobSpec> job_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return make_error(ErrorKind::usage, "bad job spec: not an object");
  for (const char* key :
       {"run_id", "attempt", "node_rank", "nodes", "slots", "master_addr", "master_port", "command"}) {
    if (!j.contains(key)) return make_error(ErrorKind::usage, std::string("bad job spec: no ") + key);
  }
  util::JsonReader in(j, "job");
  JobSpec job;
  job.run_id = in.string("run_id");
  job.attempt = in.integer("attempt", 0);
  job.max_restarts = in.integer("max_restarts", 0);
  job.node_rank = in.integer("node_rank", 0);
  job.nodes = in.integer("nodes", 0);
  job.slots = in.integer("slots", 0);
  job.master_addr = in.string("master_addr");
  job.master_port = in.integer("master_port", 0);
  job.command = in.strings("command");
  job.checkpoint_dir = in.string("checkpoint_dir", "checkpoints");
  job.resume_from = in.string("resume_from");
  job.fresh_logs = in.boolean("fresh_logs", false);
  const nlohmann::json env = in.object("env");  // held: items() refers to it
  for (const auto& [name, value] : env.items()) {
    if (!value.is_string()) return make_error(ErrorKind::usage, "bad job spec: env." + name + " is not a string");
    job.env[name] = value.get<std::string>();
  }
  if (!in.ok()) return make_error(ErrorKind::usage, "bad job spec: " + in.error()->message);
  if (job.command.empty() || job.slots < 1 || job.nodes < 1 || job.node_rank < 0 || job.node_rank >= job.nodes) {
    return make_error(ErrorKind::usage, "job spec is inconsistent");
  }
  return job;
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
  if (line.size() <= k_marker_head.size() + k_marker_tail.size() ||
      line.substr(0, k_marker_head.size()) != k_marker_head ||
      line.substr(line.size() - k_marker_tail.size()) != k_marker_tail) {
    return std::nullopt;
  }
  const std::string_view digits =
      line.substr(k_marker_head.size(), line.size() - k_marker_head.size() - k_marker_tail.size());
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
  // Where the data entries' `to` paths resolve (each is linked there from the host's data cache).
  set("CHOLINE_DATA_DIR", project_dir);
  // Live logs: Python would otherwise hold output back in a pipe-sized buffer.
  set("PYTHONUNBUFFERED", "1");
  // torchrun's rule: several workers on one node get one OpenMP thread each unless told.
  if (job.slots > 1 && !env.count("OMP_NUM_THREADS")) set("OMP_NUM_THREADS", "1");
  return env;
}

}  // namespace choline::agent
