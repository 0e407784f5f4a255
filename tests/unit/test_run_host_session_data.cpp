// HostSession::stage_data over the agent's own data verbs run in this process: the session asks
// the agent under the host's agent_dir for the cache beside it, the run's project directory and
// run root, so the data lands where the run's workers look and every run on the host shares it.
#include <choline/agent/embedded.hpp>
#include <choline/remote/data_push.hpp>
#include <choline/run/host_session.hpp>

#include "fakes/agent_data_transport.hpp"
#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

using namespace choline;
using namespace choline::testing;

namespace {

// A provider whose hosts are reached through the in-process agent's data verbs.
class AgentDataProvider final : public providers::Provider {
 public:
  std::vector<fakes::AgentDataTransport*> transports;  // every connection made, owned by its session
  std::string name() const override { return "fake"; }
  Result<std::vector<providers::Offer>> offers(const spec::GpuSpec&) override {
    return std::vector<providers::Offer>{};
  }
  Result<providers::Host> create(const providers::HostRequest&) override { return providers::Host{}; }
  Result<providers::HostStatus> status(const providers::Host&) override { return providers::HostStatus::ready; }
  Result<std::unique_ptr<transport::Transport>> connect(const providers::Host&) override {
    auto transport = std::make_unique<fakes::AgentDataTransport>();
    transports.push_back(transport.get());
    return std::unique_ptr<transport::Transport>(std::move(transport));
  }
  Status release(const providers::Host&) override { return {}; }
  bool shares_this_machine() const override { return false; }
};

providers::Host host_under(const fs::path& dir, const std::string& run) {
  providers::Host host;
  host.id = "gpu-1";
  host.root = (dir / "runs" / run / "node0").string();
  host.agent_dir = (dir / "agent").string();
  return host;
}

}  // namespace

TEST_CASE("HostSession stages data into the cache beside the host's agent and links it into the run", "[run][data]") {
  TempDir laptop, remote;
  write_file(laptop.path / "project/data/train.csv", "a,b\n1,2\n");
  auto resolved = spec::resolve_data_entries({{"data", "", "", "", false, {}}}, laptop.path / "project", laptop.path);
  REQUIRE(resolved.ok());
  auto prepared = remote::prepare_data(*resolved, laptop.path / "project", {});
  REQUIRE(prepared.ok());
  AgentDataProvider provider;
  const remote::DataStageOptions options{std::nullopt, {}, false};

  run::HostSession first(provider, host_under(remote.path, "r1"));
  auto staged = first.stage_data(*prepared, options);
  INFO((staged ? "" : staged.error().message));
  REQUIRE(staged.ok());
  REQUIRE(staged->size() == 1);
  CHECK((*staged)[0].action == remote::DataAction::sent);
  // The host's own agent, the cache beside it, the run's project directory and run root.
  REQUIRE(provider.transports.size() == 1);
  const auto& argv = provider.transports[0]->commands.at(0);
  CHECK(argv[0] == (remote.path / "agent" / agent::agent_file_name()).string());
  const auto arg = [&](const std::string& name) {
    auto it = std::find(argv.begin(), argv.end(), name);
    return it == argv.end() || it + 1 == argv.end() ? std::string() : *(it + 1);
  };
  CHECK(arg("--cache") == (remote.path / "data").string());
  CHECK(arg("--work-dir") == (remote.path / "runs/r1/node0/project").string());
  CHECK(arg("--run-root") == (remote.path / "runs/r1/node0").string());
  CHECK(read_file(remote.path / "runs/r1/node0/project/data/train.csv") == "a,b\n1,2\n");

  // Another run on the same host: the cache holds the version, nothing is sent, and it is linked.
  run::HostSession second(provider, host_under(remote.path, "r2"));
  auto again = second.stage_data(*prepared, options);
  REQUIRE(again.ok());
  CHECK((*again)[0].action == remote::DataAction::cached);
  CHECK((*again)[0].sync.bytes_sent == 0);
  CHECK(read_file(remote.path / "runs/r2/node0/project/data/train.csv") == "a,b\n1,2\n");

  // Nothing to stage: no connection at all.
  AgentDataProvider idle;
  run::HostSession third(idle, host_under(remote.path, "r3"));
  REQUIRE(third.stage_data({}, options).ok());
  CHECK(idle.transports.empty());
}
