#pragma once
// The REST marketplaces (vast.ai, RunPod, Lambda): their factories, what they share (labels,
// SSH to a rented host, waiting for its sshd), and the pure pieces of each client (GPU name
// tables, request bodies, response parsing) that tests check against recorded API shapes.

#include <choline/providers/http.hpp>
#include <choline/providers/provider.hpp>
#include <choline/util/progress.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace choline::providers {

// What a REST provider is built from; tests substitute the client and the base URL.
struct RestConfig {
  std::string api_key;
  std::string base_url;
  std::shared_ptr<HttpClient> http;
  std::string ssh_user;             // empty: the provider's (vast/RunPod root, Lambda ubuntu)
  std::string public_key;           // choline's SSH public key, registered with the provider
  std::string private_key;          // its file on this machine
  std::string workdir = "choline";  // choline's directory on the host, relative to the SSH user's home
  RetryPolicy retry;
  util::Clock* clock = &util::system_clock();  // API retries and destroy read-backs wait on it
};

// One instance as any of the three APIs describes it.
struct InstanceView {
  HostStatus status = HostStatus::provisioning;
  // False: no instance of ours has this id any more (never was, destroyed, terminated, or the
  // id now belongs to another instance). An instance that is gone but exists is still billed.
  bool exists = true;
  std::string message;  // "loading: pulling image", for progress lines
  std::string label;    // the label (vast) or name (RunPod, Lambda) it carries
  std::string ssh_host;
  int ssh_port = 0;
  std::string address;  // where other nodes reach it (MASTER_ADDR); empty: ssh_host
  std::string machine;  // the machine it runs on, where the API says
};

// An instance whose label is not `label` (when `label` is not empty) is not ours: the API
// reused the id. Marks the view gone and not existing.
void require_label(InstanceView& view, const std::string& label);

// The progress step of each instance while it boots: its provider's status message and the
// time since it was rented (util::progress); the step ends when the host is up or gone.
// Thread-safe.
class ProvisionProgress {
 public:
  explicit ProvisionProgress(std::string what) : m_what(std::move(what)) {}  // "vast.ai instance"
  void rented(const Host& host);
  // Called with every status poll, also long after the host came up (ignored then).
  void report(const Host& host, const std::string& message, HostStatus status);
  // Ends the step of a host given up on while it booted (it did not come up in time).
  void released(const Host& host);

 private:
  std::string m_what;
  util::KeyedSteps m_steps;
};

std::unique_ptr<Provider> make_vast_provider(RestConfig config);
std::unique_ptr<Provider> make_runpod_provider(RestConfig config);
std::unique_ptr<Provider> make_lambda_provider(RestConfig config);

// Builds the config of a REST provider from the environment: the API key (env or credentials
// file), the base URL (`url_env` overrides `default_url`), choline's SSH identity (generated on
// first use), CHOLINE_SSH_USER (tests: the simulated hosts' user).
Result<RestConfig> rest_config_from_environment(const std::string& provider, const std::string& key_env,
                                                const std::string& display, const std::string& url_env,
                                                const std::string& default_url);

// "choline-<run>-node<k>" ("-<n>" appended for the node's n-th replacement): every instance
// choline creates carries a label no other instance has, so a destroy can be verified (ids are
// reused) and orphans found.
std::string instance_label(const std::string& run_id, int node, int replacement = 0);
inline constexpr std::string_view k_label_prefix = "choline-";

// The usage error for a GPU a REST provider does not rent (`provider` as in messages,
// "vast.ai"), naming the GPUs it does (`known`: choline's names).
Error unknown_gpu(const std::string& provider, const std::string& gpu, const std::map<std::string, std::string>& known);

// An API answer's body as JSON, parsed without exceptions and with a nesting limit; a discarded
// value when it is not readable JSON. Fields are then read with util::JsonReader, which turns a
// null or a field of the wrong type into its fallback instead of an exception.
nlohmann::json parse_answer(std::string_view body);

// True when something answers with an SSH banner at host:port within `timeout_ms`.
bool ssh_answers(const std::string& host, int port, int timeout_ms);

// A transport to a rented host: choline's key, the host key pinned per instance (TOFU) in
// choline's known_hosts directory. `host.access` holds ssh_host, ssh_port, user.
Result<std::unique_ptr<transport::Transport>> connect_rented(const Host& host, const std::string& private_key);

namespace vast {
// "RTX3090" -> "RTX 3090"; nullopt for GPUs vast does not list.
std::optional<std::string> gpu_name(const std::string& canonical);
nlohmann::json search_body(const spec::GpuSpec& shape, bool interruptible, int disk_gb);
std::vector<Offer> parse_offers(const nlohmann::json& answer, int disk_gb, bool interruptible);
nlohmann::json create_body(const std::string& image, int disk_gb, const std::string& label, std::optional<double> bid);
// One instance from GET /api/v0/instances/{id}/ ({"instances": {...}|null}); `label` must
// match (vast reuses ids).
InstanceView parse_instance(const nlohmann::json& answer, const std::string& label);
std::variant<nlohmann::json, ApiError> classify(const HttpResponse& response);
}  // namespace vast

namespace runpod {
// "RTX3090" -> "NVIDIA GeForce RTX 3090".
std::optional<std::string> gpu_type_id(const std::string& canonical);
// The GraphQL request bodies ({"query": ...}).
nlohmann::json gpu_types_query(int gpu_count);
nlohmann::json deploy_mutation(const std::string& gpu_type_id, int gpu_count, const std::string& image, int disk_gb,
                               const std::string& label, const std::string& public_key, std::optional<double> bid);
nlohmann::json pod_query(const std::string& pod_id);
std::vector<Offer> parse_offers(const nlohmann::json& data, const std::string& gpu_type_id, int gpu_count);
// One pod from the pod query's data ({"pod": {...}|null}).
InstanceView parse_pod(const nlohmann::json& data);
std::variant<nlohmann::json, ApiError> classify(const HttpResponse& response);
}  // namespace runpod

namespace lambda {
// ("A100", 8) -> "gpu_8x_a100"; nullopt for GPUs Lambda does not rent.
std::optional<std::string> instance_type(const std::string& canonical, int count);
std::vector<Offer> parse_offers(const nlohmann::json& answer, const std::string& instance_type);
// One instance from GET /instances/{id} ({"data": {...}}); SSH on port 22 of its ip.
InstanceView parse_instance(const nlohmann::json& answer);
std::variant<nlohmann::json, ApiError> classify(const HttpResponse& response);
}  // namespace lambda

}  // namespace choline::providers
