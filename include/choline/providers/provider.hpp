#pragma once
// Where hosts come from. One interface for every source: the local machine, bring-your-own SSH
// hosts, and (later) the REST marketplaces. A provider only rents, reaches and releases
// machines; what runs on them is the controller's business.
//
// Money rule for implementations and callers: create() returns as soon as the provider has
// committed to a machine (a REST provider returns while it is still provisioning), and the
// caller journals the returned host before doing anything else with it; release() must be
// called for every created host, and is idempotent.

#include <choline/error.hpp>
#include <choline/spec/run_options.hpp>
#include <choline/transport/transport.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace choline::providers {

struct HostRequest {
  std::string run_id;
  int node = 0;         // which node of the run this host will be
  spec::GpuSpec shape;  // gpu and count per host (nodes is the caller's loop)
  std::string image;
  std::optional<double> max_price;
  // Machines (Offer::machine, Host::access["machine"]) a new host must not be: those the run
  // lost, and those serving its other nodes. Honoured by providers whose capabilities say
  // chooses_machine; the others report where the host landed (access["machine"]).
  std::vector<std::string> exclude;
  bool interruptible = false;
  int disk_gb = 0;      // 0: the provider's default
  int replacement = 0;  // hosts the node had before this one (0: its first)
};

struct Offer {
  std::string provider;
  std::string id;
  std::string gpu;
  int gpus = 0;
  double price_per_hour = 0;  // the machine's GPUs, all of them, per hour
  std::string location;
  // Marketplace details (REST providers; others leave the defaults).
  std::string machine;          // the machine behind the offer: what HostRequest::exclude names
  double storage_per_hour = 0;  // the requested disk's cost per hour
  double reliability = 1;       // 0..1, as the provider rates the machine
  double inet_down_mbps = 0;
  double inet_up_mbps = 0;
  bool interruptible = false;
  nlohmann::json details = nlohmann::json::object();  // what create() needs: gpu type id, region, ...
};

enum class HostStatus { provisioning, ready, gone };

struct Host {
  std::string provider;
  std::string id;         // the provider's id (instance id, host name, local directory)
  std::string address;    // for people and for MASTER_ADDR of other nodes
  std::string root;       // choline's directory on the host for this run
  std::string agent_dir;  // where the agent binary lives on the host (shared by the host's runs)
  std::string gpu;
  int slots = 1;
  double price_per_hour = 0;
  nlohmann::json access = nlohmann::json::object();  // what connect() needs later (no secrets)
};

// What a provider can promise, known without asking it anything.
struct Capabilities {
  // The provider picks the machine among offers that name it, so it can honour
  // HostRequest::exclude. False where the API picks the machine itself (RunPod, Lambda).
  bool chooses_machine = true;
  // Hosts from create()/located() carry the machine they landed on in access["machine"], so
  // a caller can tell when a host landed on an excluded machine.
  bool reports_machine = true;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string name() const = 0;

  // The default: a provider that picks the machine and names it (local, ssh, vast).
  virtual Capabilities capabilities() const { return {}; }

  // OK, or a usage error (what is wrong, and what to ask for instead) for a shape this provider
  // can never serve: a GPU it does not have, more GPUs per host or more hosts than it has.
  // Asks nothing over the network; create() fails the same way.
  virtual Status can_serve(const spec::GpuSpec& shape) const {
    (void)shape;
    return {};
  }

  // Machines that could satisfy `shape`, cheapest first.
  virtual Result<std::vector<Offer>> offers(const spec::GpuSpec& shape) = 0;

  // Commits to one machine for the request: never one in request.exclude (where capabilities
  // say chooses_machine), nor one this run already tried; a capacity error says when that left
  // nothing to rent.
  virtual Result<Host> create(const HostRequest& request) = 0;

  // Where the machine stands; REST providers poll their API, others answer ready.
  virtual Result<HostStatus> status(const Host& host) = 0;

  // The host as it is once up: REST providers learn its address (and SSH port) only then. The
  // caller journals the result.
  virtual Host located(const Host& host) { return host; }

  // A transport to the host, for the agent, sync and log streams.
  virtual Result<std::unique_ptr<transport::Transport>> connect(const Host& host) = 0;

  // Gives the machine back (stops paying). Idempotent. REST providers verify it by reading the
  // instance back (by id and label, since ids are reused).
  virtual Status release(const Host& host) = 0;

  // Instances of this account whose label starts with `label_prefix` ("choline-"), as hosts
  // release() accepts: how orphans of a crashed laptop are found. Providers that rent nothing
  // have none.
  virtual Result<std::vector<Host>> labelled_instances(const std::string& label_prefix) {
    (void)label_prefix;
    return std::vector<Host>{};
  }

  // True when the provider's hosts are this very machine (same files, same processes): the
  // agent is then taken from the laptop's own agent cache instead of being uploaded.
  virtual bool shares_this_machine() const = 0;
};

}  // namespace choline::providers
