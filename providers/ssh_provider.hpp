#pragma once

#include "providers/provider.hpp"

namespace choline::providers {

// Bring-your-own hosts from choline.json's "hosts"; each node takes the next host whose GPUs
// satisfy the spec.
std::unique_ptr<Provider> make_ssh_provider(std::vector<spec::HostEntry> hosts);

}  // namespace choline::providers
