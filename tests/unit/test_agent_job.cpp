#include <choline/agent/job.hpp>

#include <catch2/catch.hpp>

using namespace choline::agent;

TEST_CASE("Workers get torchrun's environment plus choline's", "[agent]") {
  JobSpec job;
  job.run_id = "r1";
  job.attempt = 2;
  job.max_restarts = 3;
  job.node_rank = 1;
  job.nodes = 2;
  job.slots = 4;
  job.master_addr = "10.0.0.1";
  job.master_port = 29555;
  job.command = {"python3", "tr.py"};
  job.resume_from = "checkpoints/epoch-3.pt";
  job.env = {{"WANDB_API_KEY", "k"}};
  const auto env = worker_env(job, 2, "/h/run/project");
  CHECK(env.at("RANK") == "6");
  CHECK(env.at("LOCAL_RANK") == "2");
  CHECK(env.at("WORLD_SIZE") == "8");
  CHECK(env.at("LOCAL_WORLD_SIZE") == "4");
  CHECK(env.at("GROUP_RANK") == "1");
  CHECK(env.at("ROLE_RANK") == "6");
  CHECK(env.at("ROLE_WORLD_SIZE") == "8");
  CHECK(env.at("MASTER_ADDR") == "10.0.0.1");
  CHECK(env.at("MASTER_PORT") == "29555");
  CHECK(env.at("TORCHELASTIC_RESTART_COUNT") == "1");
  CHECK(env.at("TORCHELASTIC_MAX_RESTARTS") == "3");
  CHECK(env.at("TORCHELASTIC_RUN_ID") == "r1");
  CHECK(env.at("CHOLINE_RUN_ID") == "r1");
  CHECK(env.at("CHOLINE_ATTEMPT") == "2");
  CHECK(env.at("CHOLINE_CKPT_DIR") == "/h/run/project/checkpoints");
  CHECK(env.at("CHOLINE_DATA_DIR") == "/h/run/project");
  CHECK(env.at("CHOLINE_RESUME_FROM") == "/h/run/project/checkpoints/epoch-3.pt");
  CHECK(env.at("OMP_NUM_THREADS") == "1");
  CHECK(env.at("WANDB_API_KEY") == "k");
}

TEST_CASE("A first attempt has an empty CHOLINE_RESUME_FROM and a user's OMP setting wins", "[agent]") {
  JobSpec job;
  job.run_id = "r";
  job.slots = 2;
  job.command = {"x"};
  job.env = {{"OMP_NUM_THREADS", "4"}};
  const auto env = worker_env(job, 0, "/p");
  CHECK(env.at("CHOLINE_RESUME_FROM").empty());
  CHECK(env.at("TORCHELASTIC_RESTART_COUNT") == "0");
  CHECK(env.at("OMP_NUM_THREADS") == "4");
}

TEST_CASE("Job specs round-trip through JSON and bad ones are refused", "[agent]") {
  JobSpec job;
  job.run_id = "r";
  job.nodes = 2;
  job.node_rank = 1;
  job.command = {"a", "b"};
  job.env = {{"WANDB_API_KEY", "a forwarded value long enough not to fit in a small string"}, {"B", "2"}};
  auto back = job_from_json(job.to_json());
  REQUIRE(back.ok());
  CHECK(back->command == job.command);
  CHECK(back->node_rank == 1);
  CHECK(back->env == job.env);
  CHECK_FALSE(back->fresh_logs);
  job.fresh_logs = true;
  CHECK(job_from_json(job.to_json())->fresh_logs);
  auto bad = job.to_json();
  bad["node_rank"] = 5;
  CHECK_FALSE(job_from_json(bad).ok());
  CHECK_FALSE(job_from_json(nlohmann::json::object()).ok());
  auto float_rank = job.to_json();
  float_rank["node_rank"] = 1e300;  // not an int: refused, never cast
  CHECK_FALSE(job_from_json(float_rank).ok());
}

#include <choline/agent/log_stream.hpp>

TEST_CASE("Job states from a host are checked for shape", "[agent]") {
  using nlohmann::json;
  CHECK(parse_job_state(json{{"status", "failed"}, {"exit_codes", {0, 3, nullptr}}, {"failed_rank", 1}, {"pid", 9}})
            .ok());
  CHECK(parse_job_state(json{{"status", "unknown"}}).ok());
  CHECK_FALSE(parse_job_state(json::array()).ok());
  CHECK_FALSE(parse_job_state(json{{"status", 5}}).ok());
  CHECK_FALSE(parse_job_state(json{{"exit_codes", "0"}}).ok());
  CHECK_FALSE(parse_job_state(json{{"exit_codes", {"x"}}}).ok());
  CHECK_FALSE(parse_job_state(json{{"failed_rank", -1}}).ok());
  CHECK_FALSE(parse_job_state(json{{"pid", "12"}}).ok());
}

TEST_CASE("A parsed job state is typed: status, exit codes and the failed rank's code", "[agent]") {
  using nlohmann::json;
  auto state =
      parse_job_state(json{{"status", "failed"}, {"exit_codes", {0, 3, nullptr}}, {"failed_rank", 1}, {"attempt", 2}});
  REQUIRE(state.ok());
  CHECK(state->status == JobStatus::failed);
  CHECK(is_final(state->status));
  CHECK(state->attempt == 2);
  CHECK(state->failed_exit_code() == 3);
  CHECK_FALSE(parse_job_state(json{{"status", "exploded"}}).ok());
  CHECK_FALSE(parse_job_state(json{{"exit_codes", {1e300}}}).ok());
  CHECK_FALSE(parse_job_state(json{{"exit_codes", {std::int64_t{1} << 40}}}).ok());
  // A rank beyond the exit codes it sent is kept, but has no code.
  auto odd = parse_job_state(json{{"status", "failed"}, {"exit_codes", {1}}, {"failed_rank", 9}});
  REQUIRE(odd.ok());
  CHECK_FALSE(odd->failed_exit_code());
  CHECK_FALSE(is_final(JobStatus::running));
}
