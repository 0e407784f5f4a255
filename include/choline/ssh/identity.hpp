#pragma once
// choline's own SSH identity for rented hosts: one ed25519 key pair generated once (with libssh)
// in choline's config directory, mode 0600. Its public half is registered with the providers;
// the private half never leaves this machine.

#include <choline/error.hpp>

#include <filesystem>
#include <string>

namespace choline::ssh {

struct Identity {
  std::filesystem::path private_key;
  std::string public_key;  // "ssh-ed25519 AAAA... choline"
};

// Loads the key pair in `dir` (id_ed25519, id_ed25519.pub), generating it on first use.
Result<Identity> ensure_identity(const std::filesystem::path& dir);

}  // namespace choline::ssh
