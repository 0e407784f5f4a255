// What the REST providers share: their configuration from the environment, instance labels,
// waiting for a rented host's sshd, and the SSH transport to it.
#include <choline/providers/rest.hpp>

#include <choline/home.hpp>
#include <choline/limits.hpp>
#include <choline/providers/credentials.hpp>
#include <choline/ssh/identity.hpp>
#include <choline/ssh/ssh_transport.hpp>
#include <choline/util/json.hpp>

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cstdlib>

namespace choline::providers {

Result<RestConfig> rest_config_from_environment(const std::string& provider, const std::string& key_env,
                                                const std::string& display, const std::string& url_env,
                                                const std::string& default_url) {
  auto key = load_api_key({provider, key_env, display});
  if (!key) return key.error();
  RestConfig config;
  config.api_key = *key;
  const char* url = std::getenv(url_env.c_str());
  config.base_url = url && *url ? url : default_url;
  while (!config.base_url.empty() && config.base_url.back() == '/') config.base_url.pop_back();
  config.http = make_curl_client();
  if (const char* user = std::getenv("CHOLINE_SSH_USER"); user && *user) config.ssh_user = user;
  auto identity = ssh::ensure_identity(config_dir());
  if (!identity) return identity.error();
  config.public_key = identity->public_key;
  config.private_key = identity->private_key.string();
  return config;
}

Error unknown_gpu(const std::string& provider, const std::string& gpu,
                  const std::map<std::string, std::string>& known) {
  std::string names;
  for (const auto& [name, _] : known) names += (names.empty() ? "" : ", ") + name;
  return make_error(ErrorKind::usage,
                    provider + " does not rent " + gpu + " (choline knows no " + provider +
                        " name for it): ask for one of " + names +
                        (gpu == spec::k_cpu ? ", or use --provider local to run on this machine's CPU" : ""));
}

nlohmann::json parse_answer(std::string_view body) {
  auto parsed = util::parse_json(body, limits::k_max_json_depth);
  if (!parsed) return nlohmann::json(nlohmann::json::value_t::discarded);
  return std::move(*parsed);
}

std::string instance_label(const std::string& run_id, int node, int replacement) {
  return std::string(k_label_prefix) + run_id + "-node" + std::to_string(node) +
         (replacement > 0 ? "-" + std::to_string(replacement) : "");
}

void require_label(InstanceView& view, const std::string& label) {
  if (label.empty() || !view.exists || view.label == label) return;
  view = InstanceView{};
  view.status = HostStatus::gone;
  view.exists = false;
  view.message = "the id now belongs to another instance";
}

bool ssh_answers(const std::string& host, int port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) return false;
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  bool answered = false;
  if (fd >= 0) {
    int rc = ::connect(fd, found->ai_addr, found->ai_addrlen);
    pollfd pfd{fd, POLLOUT, 0};
    if (rc == 0 || (errno == EINPROGRESS && ::poll(&pfd, 1, timeout_ms) == 1)) {
      int error = 0;
      socklen_t len = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
      pfd = {fd, POLLIN, 0};
      char banner[4] = {};
      if (error == 0 && ::poll(&pfd, 1, timeout_ms) == 1 && ::recv(fd, banner, sizeof banner, 0) == 4) {
        answered = std::string(banner, 4) == "SSH-";
      }
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return answered;
}

Result<std::unique_ptr<transport::Transport>> connect_rented(const Host& host, const std::string& private_key) {
  const std::string ssh_host = host.access.value("ssh_host", "");
  const int ssh_port = host.access.value("ssh_port", 0);
  if (ssh_host.empty() || ssh_port == 0) {
    return make_error(ErrorKind::network, host.provider + " instance " + host.id + " has no SSH address yet");
  }
  ssh::Options options;
  options.identity = private_key;
  // Pinned per instance: marketplaces hand the same ip:port to another machine later.
  const auto dir = choline_home() / "known_hosts.d";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  options.known_hosts = (dir / (host.provider + "-" + host.access.value("label", host.id))).string();
  options.policy = ssh::HostKeyPolicy::trust_on_first_use;
  return ssh::connect({host.access.value("user", "root"), ssh_host, ssh_port}, options);
}

void ProvisionProgress::rented(const Host& host) {
  m_steps.start(host.id, m_what + " " + host.id + " (" + host.access.value("label", "") + ")");
}

void ProvisionProgress::report(const Host& host, const std::string& message, HostStatus status) {
  switch (status) {
    case HostStatus::provisioning:
      return m_steps.status(host.id, message);
    case HostStatus::ready:
      return m_steps.finish(host.id, "up");
    case HostStatus::gone:
      return m_steps.finish(host.id, "gone" + (message.empty() ? "" : " (" + message + ")"));
  }
}

void ProvisionProgress::released(const Host& host) {
  m_steps.finish(host.id, "given up");
}

}  // namespace choline::providers
