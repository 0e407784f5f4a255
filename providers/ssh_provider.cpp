// The ssh provider: machines the user already has, listed in choline.json. Nothing is rented,
// so release() only means "choline is done with it" (the agent is stopped by the controller).
#include <choline/providers/registry.hpp>

#include <choline/home.hpp>
#include <choline/providers/offer_choice.hpp>
#include <choline/ssh/ssh_transport.hpp>

#include <algorithm>
#include <cstdlib>
#include <mutex>

namespace choline::providers {

namespace {

// "A100" asks for any A100; a host that says "A100-80GB" is one.
bool same_gpu(const std::string& offered, const std::string& wanted) {
  return offered == wanted || offered.rfind(wanted + "-", 0) == 0;
}

bool fits(const spec::GpuSpec& offered, const spec::GpuSpec& wanted) {
  return offered.count >= wanted.count && same_gpu(offered.gpu, wanted.gpu);
}

std::string machine_of(const spec::HostEntry& entry) {
  return entry.user + "@" + entry.host + ":" + std::to_string(entry.port);
}

Error usage(const std::string& message) {
  return make_error(ErrorKind::usage, message);
}

class SshProvider final : public Provider {
 public:
  explicit SshProvider(std::vector<spec::HostEntry> hosts) : m_hosts(std::move(hosts)) {}

  std::string name() const override { return "ssh"; }

  Status can_serve(const spec::GpuSpec& shape) const override {
    if (m_hosts.empty()) {
      return usage("the ssh provider needs hosts: add \"hosts\": [{\"host\": ..., \"gpus\": ...}] to choline.json");
    }
    std::string listed;  // "2xRTX4090 on a, 1xcpu on b"
    const spec::HostEntry* biggest = nullptr;
    int most = 0;
    std::vector<std::string> fitting;
    for (const auto& entry : m_hosts) {
      auto offered = spec::parse_spec(entry.gpus);
      if (!offered) continue;
      listed += (listed.empty() ? "" : ", ") + offered->describe() + " on " + entry.host;
      if (!same_gpu(offered->gpu, shape.gpu)) continue;
      if (offered->count > most) {
        most = offered->count;
        biggest = &entry;
      }
      if (offered->count >= shape.count) fitting.push_back(entry.host + ":" + std::to_string(entry.port));
    }
    const std::string per_host = std::to_string(shape.count) + "x" + shape.gpu;
    if (!biggest) {
      return usage("no host in choline.json has " + shape.gpu + " (the hosts have " + listed +
                   "): ask for what they have, or add a host with \"gpus\": \"" + per_host + "\"");
    }
    if (fitting.empty()) {
      return usage("no host in choline.json has " + std::to_string(shape.count) + " " + shape.gpu + " (the most is " +
                   std::to_string(most) + ", on " + biggest->host + "): ask for at most --" + std::to_string(most) +
                   "x" + shape.gpu + " per host (with --nodes for more hosts), or add a host with \"gpus\": \"" +
                   per_host + "\"");
    }
    if (static_cast<int>(fitting.size()) < shape.nodes) {
      std::string names;
      for (const auto& name : fitting) names += (names.empty() ? "" : ", ") + name;
      return usage(std::to_string(shape.nodes) + " nodes of " + per_host + " need " + std::to_string(shape.nodes) +
                   " hosts, and choline.json lists " + std::to_string(fitting.size()) + " that fit (" + names +
                   "): ask for --nodes " + std::to_string(fitting.size()) + " or fewer, or add hosts");
    }
    return {};
  }

  Result<std::vector<Offer>> offers(const spec::GpuSpec& shape) override { return fitting(shape); }

  Result<Host> create(const HostRequest& request) override {
    if (auto ok = can_serve(request.shape); !ok) return ok.error();
    std::lock_guard lock(m_mutex);
    // In the order choline.json lists them, not by any price.
    auto usable = usable_offers(
        fitting(request.shape), request, m_tried.of(request.run_id), "the ssh provider",
        " (node " + std::to_string(request.node) + " of the run); list more hosts in choline.json or ask for fewer");
    if (!usable) return usable.error();
    const Offer& offer = usable->front();
    m_tried.record(request, offer, RentOutcome::rented);
    const auto& entry = m_hosts[offer.details.value("entry", std::size_t{0})];
    Host host;
    host.provider = "ssh";
    host.id = offer.machine;
    host.address = entry.host;
    // Relative to the login directory: the agent runs there.
    host.root = entry.workdir + "/runs/" + request.run_id + "/node" + std::to_string(request.node);
    host.agent_dir = entry.workdir + "/agent";
    host.gpu = request.shape.gpu;
    host.slots = request.shape.count;
    host.access = {{"host", entry.host},         {"port", entry.port},       {"user", entry.user},
                   {"identity", entry.identity}, {"workdir", entry.workdir}, {"machine", offer.machine}};
    return host;
  }

  Result<HostStatus> status(const Host&) override { return HostStatus::ready; }

  Result<std::unique_ptr<transport::Transport>> connect(const Host& host) override {
    ssh::SshAddress address{host.access.value("user", ""), host.access.value("host", ""),
                            host.access.value("port", 22)};
    ssh::Options options;
    options.identity = expand_home(host.access.value("identity", ""));
    options.known_hosts = known_hosts_file().string();
    return ssh::connect(address, options);
  }

  Status release(const Host&) override { return {}; }

  bool shares_this_machine() const override { return false; }

 private:
  // The listed hosts that can hold `shape`, in choline.json's order; each names its machine.
  std::vector<Offer> fitting(const spec::GpuSpec& shape) const {
    std::vector<Offer> list;
    for (std::size_t i = 0; i < m_hosts.size(); ++i) {
      const auto& entry = m_hosts[i];
      auto offered = spec::parse_spec(entry.gpus);
      if (!offered || !fits(*offered, shape)) continue;
      Offer offer{"ssh", entry.host + ":" + std::to_string(entry.port), offered->gpu, offered->count, 0.0, entry.host};
      offer.machine = machine_of(entry);
      offer.details = {{"entry", i}};
      list.push_back(offer);
    }
    return list;
  }

  std::vector<spec::HostEntry> m_hosts;
  std::mutex m_mutex;
  OfferMemory m_tried;  // per run: a host once given to a node is not given again
};

}  // namespace

std::unique_ptr<Provider> make_ssh_provider(std::vector<spec::HostEntry> hosts) {
  return std::make_unique<SshProvider>(std::move(hosts));
}

}  // namespace choline::providers
