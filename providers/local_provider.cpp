// The local provider: each "host" is a directory under $CHOLINE_HOME/hosts on this machine,
// its agent runs as local processes, and its "GPUs" are CPU worker slots. It needs no account,
// which makes it the default and what the tests and the README's main job use.
#include <choline/providers/registry.hpp>

#include <choline/agent/supervisor.hpp>
#include <choline/home.hpp>
#include <choline/transport/local_transport.hpp>
#include <choline/util/files.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <thread>

namespace choline::providers {

namespace {

class LocalProvider final : public Provider {
 public:
  std::string name() const override { return "local"; }

  Status can_serve(const spec::GpuSpec& shape) const override {
    if (!shape.is_cpu()) return no_gpus(shape);
    if (shape.count > spec::k_max_cpu_slots_per_host) {
      return make_error(ErrorKind::usage,
                        "the local provider runs at most " + std::to_string(spec::k_max_cpu_slots_per_host) +
                            " CPU worker slots per host, not " + std::to_string(shape.count) + ": ask for fewer (--" +
                            std::to_string(spec::k_max_cpu_slots_per_host) + "xcpu at the most), or use more --nodes");
    }
    return {};
  }

  Result<std::vector<Offer>> offers(const spec::GpuSpec& shape) override {
    if (auto ok = can_serve(shape); !ok) return ok.error();
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::vector<Offer>{{"local", "this-machine", "cpu", cores, 0.0, "localhost"}};
  }

  // Each host is a new "machine" (a directory), never one in request.exclude.
  Result<Host> create(const HostRequest& request) override {
    if (auto ok = can_serve(request.shape); !ok) return ok.error();
    Host host;
    host.provider = "local";
    // A replacement for a lost node is a new "machine": a new directory next to the old one.
    const std::string base = request.run_id + "-node" + std::to_string(request.node);
    host.id = base;
    for (int n = 2; std::find(request.exclude.begin(), request.exclude.end(), host.id) != request.exclude.end(); ++n) {
      host.id = base + "-" + std::to_string(n);
    }
    host.address = "127.0.0.1";
    host.root = (choline_home() / "hosts" / host.id).string();
    host.agent_dir = (choline_home() / "agent").string();
    host.gpu = "cpu";
    host.slots = request.shape.count;
    host.access = {{"machine", host.id}};
    std::error_code ec;
    std::filesystem::create_directories(host.root, ec);
    if (ec) return make_error(ErrorKind::io, "cannot create local host directory " + host.root + ": " + ec.message());
    return host;
  }

  Result<HostStatus> status(const Host& host) override {
    return std::filesystem::is_directory(host.root) ? HostStatus::ready : HostStatus::gone;
  }

  Result<std::unique_ptr<transport::Transport>> connect(const Host&) override {
    return transport::make_local_transport();
  }

  // A "machine" given back must not keep running: a lost or hung host's supervisor and workers
  // (its process group, stopped or not) are killed. The directory stays: it holds the logs.
  Status release(const Host& host) override {
    auto state = agent::read_state(agent::AgentLayout{host.root});
    if (!state) return {};
    const pid_t pid = agent::state_pid(*state);
    if (pid == 0 || !is_supervisor_of(pid, host.root)) return {};
    ::kill(-pid, SIGKILL);
    return {};
  }

  bool shares_this_machine() const override { return true; }

 private:
  // Guards against a recycled pid: the process must be this host's supervisor.
  static bool is_supervisor_of(pid_t pid, const std::string& root) {
    auto cmdline = util::read_file("/proc/" + std::to_string(pid) + "/cmdline");
    if (!cmdline) return false;
    std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
    return cmdline->find(" supervise ") != std::string::npos && cmdline->find(root) != std::string::npos;
  }

  static Error no_gpus(const spec::GpuSpec& shape) {
    return make_error(ErrorKind::usage, "the local provider runs workers on this machine's CPU and has no " +
                                            shape.gpu + ": use --" + std::to_string(shape.count) +
                                            "xcpu, or a provider that rents GPUs (--provider ssh|vast|runpod|lambda)");
  }
};

}  // namespace

std::unique_ptr<Provider> make_local_provider() {
  return std::make_unique<LocalProvider>();
}

}  // namespace choline::providers
