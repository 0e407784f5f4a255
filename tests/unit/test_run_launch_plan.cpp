// How an attempt is started, decided before anything is started.
#include <choline/run/launch_plan.hpp>

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::run;

namespace {

records::RunRecord two_nodes() {
  records::RunRecord record;
  record.id = "run-1";
  record.command = {"python3", "tr.py", "--lr", "0.1"};
  record.options.spec = {"RTX3090", 2, 2};
  record.options.max_restarts = 3;
  record.options.checkpoint_dir = "ckpt";
  record.master_port = 23456;
  for (int node = 0; node < 2; ++node) {
    records::HostRecord host;
    host.node = node;
    host.host.id = "h" + std::to_string(node);
    host.host.address = "10.0.0." + std::to_string(node + 1);
    host.host.slots = 2;
    record.hosts.push_back(host);
  }
  return record;
}

}  // namespace

TEST_CASE("Launch plan: checkpoints go to the nodes the lifecycle named, only when there is one", "[run][launch]") {
  action::Launch launch{2, {1}, false, 0};
  CHECK(nodes_to_seed(launch, "checkpoints/epoch-1.pt") == std::vector<int>{1});
  CHECK(nodes_to_seed(launch, "").empty());
}

TEST_CASE("Launch plan: every node's job has the world's shape, node 0's address and the forwarded env",
          "[run][launch]") {
  auto record = two_nodes();
  record.options.sync = "diloco:h=50";
  const auto jobs = build_job_specs(record, 3, "ckpt/epoch-2.pt", {{"WANDB_API_KEY", "secret"}});
  REQUIRE(jobs.size() == 2);
  for (int node = 0; node < 2; ++node) {
    const auto& job = jobs[static_cast<std::size_t>(node)];
    CHECK(job.node_rank == node);
    CHECK(job.nodes == 2);
    CHECK(job.slots == 2);
    CHECK(job.world_size() == 4);
    CHECK(job.attempt == 3);
    CHECK(job.master_addr == "10.0.0.1");
    CHECK(job.master_port == 23456);
    CHECK(job.command == record.command);
    CHECK(job.checkpoint_dir == "ckpt");
    CHECK(job.resume_from == "ckpt/epoch-2.pt");
    CHECK(job.max_restarts == 3);
    CHECK(job.env.at("WANDB_API_KEY") == "secret");
    CHECK(job.env.at("CHOLINE_SYNC") == "diloco:h=50");
  }
  // A CHOLINE_SYNC forwarded through "env" wins over choline.json's "sync".
  CHECK(build_job_specs(record, 1, "", {{"CHOLINE_SYNC", "ddp"}})[0].env.at("CHOLINE_SYNC") == "ddp");
}

TEST_CASE("Launch plan: a host's logs start where the laptop's files end, on its first attempt only", "[run][launch]") {
  auto record = two_nodes();
  const std::map<int, std::uint64_t> held = {{2, 100}, {3, 70}};
  CHECK(log_base_for(record.hosts[1], 1, held) == std::map<int, std::uint64_t>{{2, 100}, {3, 70}});
  CHECK(log_base_for(record.hosts[0], 0, held) == std::map<int, std::uint64_t>{{0, 0}, {1, 0}});
  record.hosts[1].agent_pid = 42;
  record.hosts[1].log_base = {{2, 5}, {3, 5}};
  CHECK(log_base_for(record.hosts[1], 1, held) == std::map<int, std::uint64_t>{{2, 5}, {3, 5}});
  // The job tells the host which case it is: a host new to the record drops logs it kept of this
  // run (a pooled host taking a trial back), a host that already ran an attempt keeps them.
  const auto jobs = build_job_specs(record, 2, "", {});
  CHECK(jobs[0].fresh_logs);
  CHECK_FALSE(jobs[1].fresh_logs);
}

TEST_CASE("Launch plan: master ports stay below the ephemeral range, and a taken port is picked again, boundedly",
          "[run][launch]") {
  for (std::uint32_t r : {0u, 1u, 11999u, 12000u, 4294967295u}) {
    const int port = master_port_from(r);
    CHECK((port >= 20000 && port < 32768));
  }
  const Error taken{ErrorKind::remote, "node 0 cannot listen on port 20001: Address already in use"};
  CHECK(should_pick_port_again(taken, 1));
  CHECK(should_pick_port_again(taken, k_max_port_picks - 1));
  CHECK_FALSE(should_pick_port_again(taken, k_max_port_picks));
  CHECK_FALSE(should_pick_port_again({ErrorKind::network, "connection reset"}, 1));
}

TEST_CASE("Launch plan: the preflight fails on the first node that cannot reach node 0, saying what to do",
          "[run][launch]") {
  std::vector<Result<std::vector<int>>> results;
  results.emplace_back(std::vector<int>{});
  results.emplace_back(std::vector<int>{23456, 24000});
  auto verdict = preflight_verdict("10.0.0.1", {1, 2}, results);
  REQUIRE(verdict);
  const auto& failed = std::get<event::LaunchFailed>(*verdict);
  CHECK(failed.node == 2);
  CHECK(failed.error.kind == ErrorKind::unsupported);
  CHECK_THAT(failed.error.message, Catch::Contains("port(s) 23456, 24000") && Catch::Contains("Run on one host"));
  std::vector<Result<std::vector<int>>> fine;
  fine.emplace_back(std::vector<int>{});
  CHECK_FALSE(preflight_verdict("10.0.0.1", {1}, fine));
  std::vector<Result<std::vector<int>>> broken;
  broken.emplace_back(Error{ErrorKind::network, "ssh: connection reset"});
  auto lost = preflight_verdict("10.0.0.1", {1}, broken);
  REQUIRE(lost);
  CHECK(std::get<event::LaunchFailed>(*lost).error.kind == ErrorKind::network);  // a lost host: replaced
}
