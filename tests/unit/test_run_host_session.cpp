#include <choline/agent/embedded.hpp>
#include <choline/run/host_session.hpp>

#include "fakes/recording_transport.hpp"

#include <catch2/catch.hpp>

using namespace choline;

namespace {

// A remote provider whose hosts answer through a RecordingTransport.
class RemoteFake final : public providers::Provider {
 public:
  explicit RemoteFake(std::shared_ptr<fakes::CommandLog> log) : m_log(std::move(log)) {}
  std::string name() const override { return "fake"; }
  Result<std::vector<providers::Offer>> offers(const spec::GpuSpec&) override {
    return std::vector<providers::Offer>{};
  }
  Result<providers::Host> create(const providers::HostRequest&) override { return providers::Host{}; }
  Result<providers::HostStatus> status(const providers::Host&) override { return providers::HostStatus::ready; }
  Result<std::unique_ptr<transport::Transport>> connect(const providers::Host&) override {
    return std::unique_ptr<transport::Transport>(std::make_unique<fakes::RecordingTransport>(m_log));
  }
  Status release(const providers::Host&) override { return {}; }
  bool shares_this_machine() const override { return false; }

 private:
  std::shared_ptr<fakes::CommandLog> m_log;
};

}  // namespace

TEST_CASE("A session opened later reaches the host's agent without installing it", "[run]") {
  auto log = std::make_shared<fakes::CommandLog>();
  log->reply = R"({"status": "running", "pid": 7})";
  RemoteFake provider(log);
  providers::Host host;
  host.id = "gpu-1";
  host.root = "/workspace/choline/runs/r1/node0";
  host.agent_dir = "/workspace/choline/agent";
  run::HostSession session(provider, host);
  REQUIRE(session.connect().ok());

  auto state = session.state();
  REQUIRE(state.ok());
  CHECK(state->status == agent::JobStatus::running);
  REQUIRE(log->commands.size() == 1);
  const auto& argv = log->commands[0];
  // The host's own agent under its agent_dir, never a path of the laptop's.
  CHECK(argv[0] == "/workspace/choline/agent/" + agent::agent_file_name());
  CHECK(std::vector<std::string>(argv.begin() + 1, argv.end()) ==
        std::vector<std::string>{"agent", "state", "--root", "/workspace/choline/runs/r1/node0"});
}

TEST_CASE("A hostile job state from a host is refused", "[run]") {
  auto log = std::make_shared<fakes::CommandLog>();
  log->reply = R"({"status": 5})";
  RemoteFake provider(log);
  run::HostSession session(provider, providers::Host{});
  REQUIRE(session.connect().ok());
  auto state = session.state();
  REQUIRE_FALSE(state.ok());
  CHECK(state.error().kind == ErrorKind::protocol);
}
