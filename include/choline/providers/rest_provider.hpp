#pragma once
// What the vast.ai, RunPod and Lambda clients have in common, written once: choosing the offer
// (offer_choice.hpp), the host record of a rent, waiting for the host's sshd, the SSH transport,
// destroys verified by reading the instance back, and the labelled-instance listing. A client
// derives from RestProvider and supplies only its API's own requests and answers.

#include <choline/providers/http.hpp>
#include <choline/providers/offer_choice.hpp>
#include <choline/providers/provider.hpp>
#include <choline/providers/rest.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace choline::providers {

// Who a REST provider is, for hosts, messages and defaults.
struct RestIdentity {
  std::string name;           // "vast": Host::provider
  std::string display;        // "vast.ai": in messages
  std::string instance_noun;  // "instance", "pod"
  std::string default_user;   // the SSH user of its images ("root", "ubuntu")
  Capabilities capabilities;
};

// What a rent returned.
struct Rented {
  std::string id;                                    // the provider's instance id
  std::string machine;                               // where the API says it landed; empty: the offer's machine
  nlohmann::json access = nlohmann::json::object();  // more of Host::access (the offer, the region)
};

// An instance of the account, as the API's list shows it.
struct ListedInstance {
  std::string id;
  std::string label;
  double price_per_hour = 0;
};

// A create's disk when the request names none.
inline constexpr int k_default_disk_gb = 32;
// A destroy is read back this many times (waiting longer each time) before it counts as failed.
inline constexpr int k_destroy_checks = 5;
inline constexpr int k_destroy_backoff_ms = 300;

class RestProvider : public Provider {
 public:
  RestProvider(RestConfig config, RestIdentity identity, ResponseClassifier classify);

  std::string name() const final { return m_identity.name; }
  Capabilities capabilities() const final { return m_identity.capabilities; }
  Result<std::vector<Offer>> offers(const spec::GpuSpec& shape) final;
  Result<Host> create(const HostRequest& request) final;
  Result<HostStatus> status(const Host& host) final;
  Host located(const Host& host) final;
  Result<std::unique_ptr<transport::Transport>> connect(const Host& host) final;
  Status release(const Host& host) final;
  Result<std::vector<Host>> labelled_instances(const std::string& label_prefix) final;
  bool shares_this_machine() const final { return false; }

 protected:
  // ---- What each API does its own way ----
  // Offers for `shape` as a create would rent them (interruptible, with this disk).
  virtual Result<std::vector<Offer>> search(const spec::GpuSpec& shape, bool interruptible, int disk_gb) = 0;
  // Before each create, outside the create lock: requests the API cannot serve, keys it wants
  // registered first.
  virtual Status prepare(const HostRequest& request) {
    (void)request;
    return {};
  }
  // Rents `offer` for `request` under `label`. A capacity error when the offer refused.
  virtual Result<Rented> rent(const Offer& offer, const HostRequest& request, const std::string& label) = 0;
  // The instance as the API shows it; a not_found error where the API knows no such id.
  virtual Result<InstanceView> fetch(const Host& host) = 0;
  // Asks the API to destroy the instance; release() reads it back.
  virtual Status destroy(const Host& host) = 0;
  // The account's instances that are not terminated.
  virtual Result<std::vector<ListedInstance>> list() = 0;
  // Once the host is up.
  virtual void on_ready(const Host& host) { (void)host; }

  // ---- For subclasses ----
  // One API call with the key, through the retry policy; the URL is base_url + path.
  Result<nlohmann::json> call(const std::string& method, const std::string& path, const std::string& body = "");
  const RestConfig& config() const { return m_config; }
  const RestIdentity& identity() const { return m_identity; }
  static int disk_of(const HostRequest& request) { return request.disk_gb > 0 ? request.disk_gb : k_default_disk_gb; }

 private:
  std::string ssh_user() const;
  // fetch() with a missing instance as a view that does not exist, and a relabelled one as not ours.
  Result<InstanceView> read(const Host& host);

  RestConfig m_config;
  RestIdentity m_identity;
  ApiCaller m_api;
  std::mutex m_create_mutex;  // one create at a time: two parallel launches must not buy the same offer
  OfferMemory m_tried;
  ProvisionProgress m_progress;
};

}  // namespace choline::providers
