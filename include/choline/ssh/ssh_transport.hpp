#pragma once
// The SSH transport over libssh: key authentication, host keys pinned in a known_hosts file the
// caller chooses, commands run on exec channels. It lives outside transport/ because it is the
// one transport that links libssh, which the static agent must not.

#include <choline/transport/endpoint.hpp>
#include <choline/transport/transport.hpp>

namespace choline::ssh {

using transport::SshAddress;

enum class HostKeyPolicy {
  strict,              // the key must already be in known_hosts
  trust_on_first_use,  // record an unknown host's key; a changed key still fails
};

struct Options {
  std::string identity;     // private key file; empty: ssh-agent, then ~/.ssh/id_*
  std::string known_hosts;  // empty: ~/.ssh/known_hosts
  HostKeyPolicy policy = HostKeyPolicy::trust_on_first_use;
  int connect_timeout_s = 20;
  // A peer that stops answering is declared dead after about this long (TCP keepalive and
  // TCP_USER_TIMEOUT on the socket), so a vanished host surfaces as an error, not a hang.
  int dead_peer_timeout_s = 45;
};

// Connects and authenticates. Errors: network (unreachable, refused), auth (key refused), and
// protocol for a host key that differs from the pinned one (possible man in the middle).
Result<std::unique_ptr<transport::Transport>> connect(const SshAddress& address, const Options& options);

}  // namespace choline::ssh
