// The ssh provider: machines the user already has, listed in choline.json. Nothing is rented,
// so release() only means "choline is done with it" (the agent is stopped by the controller).
#include <choline/providers/registry.hpp>

#include <choline/home.hpp>
#include <choline/ssh/ssh_transport.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace choline::providers {

namespace {

class SshProvider final : public Provider {
 public:
  explicit SshProvider(std::vector<spec::HostEntry> hosts) : m_hosts(std::move(hosts)) {}

  std::string name() const override { return "ssh"; }

  Result<std::vector<Offer>> offers(const spec::GpuSpec& shape) override {
    std::vector<Offer> list;
    for (const auto& entry : m_hosts) {
      auto offered = spec::parse_spec(entry.gpus);
      if (offered && fits(*offered, shape)) {
        list.push_back({"ssh", entry.host + ":" + std::to_string(entry.port), offered->gpu, offered->count, 0.0, entry.host});
      }
    }
    return list;
  }

  Result<Host> create(const HostRequest& request) override {
    if (m_hosts.empty()) {
      return make_error(ErrorKind::usage, "the ssh provider needs hosts: add \"hosts\": [{\"host\": ..., \"gpus\": ...}] "
                                          "to choline.json");
    }
    for (std::size_t i = 0; i < m_hosts.size(); ++i) {
      if (m_taken.count(i)) continue;
      const auto& entry = m_hosts[i];
      const std::string id = entry.user + "@" + entry.host + ":" + std::to_string(entry.port);
      // Excluded: machines this run lost, and those serving its other nodes.
      if (std::find(request.exclude.begin(), request.exclude.end(), id) != request.exclude.end()) continue;
      auto offered = spec::parse_spec(entry.gpus);
      if (!offered || !fits(*offered, request.shape)) continue;
      m_taken.insert(i);
      Host host;
      host.provider = "ssh";
      host.id = id;
      host.address = entry.host;
      // Relative to the login directory: the agent runs there.
      host.root = entry.workdir + "/runs/" + request.run_id + "/node" + std::to_string(request.node);
      host.agent_dir = entry.workdir + "/agent";
      host.gpu = request.shape.gpu;
      host.slots = request.shape.count;
      host.access = {{"host", entry.host}, {"port", entry.port}, {"user", entry.user}, {"identity", entry.identity},
                     {"workdir", entry.workdir}};
      return host;
    }
    return make_error(ErrorKind::capacity, "no free host in choline.json offers " + request.shape.describe() + " (node " +
                                            std::to_string(request.node) + " of the run); list more hosts or ask for fewer");
  }

  Result<HostStatus> status(const Host&) override { return HostStatus::ready; }

  Result<std::unique_ptr<transport::Transport>> connect(const Host& host) override {
    ssh::SshAddress address{host.access.value("user", ""), host.access.value("host", ""), host.access.value("port", 22)};
    ssh::Options options;
    options.identity = expand_home(host.access.value("identity", ""));
    options.known_hosts = known_hosts_file().string();
    return ssh::connect(address, options);
  }

  Status release(const Host&) override { return {}; }

  bool shares_this_machine() const override { return false; }

 private:
  static bool fits(const spec::GpuSpec& offered, const spec::GpuSpec& wanted) {
    if (offered.count < wanted.count) return false;
    if (wanted.gpu == offered.gpu) return true;
    // "A100" asks for any A100; a host that says "A100-80GB" is one.
    return offered.gpu.rfind(wanted.gpu + "-", 0) == 0;
  }

  std::vector<spec::HostEntry> m_hosts;
  std::set<std::size_t> m_taken;
};

}  // namespace

std::unique_ptr<Provider> make_ssh_provider(std::vector<spec::HostEntry> hosts) {
  return std::make_unique<SshProvider>(std::move(hosts));
}

}  // namespace choline::providers
