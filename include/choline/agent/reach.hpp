#pragma once
// Can the nodes of a multi-node run reach each other? torch.distributed needs every node to
// connect to node 0's MASTER_ADDR:MASTER_PORT and then to arbitrary ports (Gloo/NCCL), which
// P2P marketplace hosts behind NAT usually cannot. Before a multi-node attempt, node 0 listens
// on the master port and a random second one, and every other node tries to connect, so the
// failure takes seconds instead of a 30-minute collective timeout.

#include <choline/error.hpp>

#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace choline::agent {

// Listens on every port (all addresses), prints "listening" once all are bound, accepts and
// closes connections until `input` ends or `seconds` pass.
Status listen_for_probes(const std::vector<int>& ports, int seconds, std::istream& input, std::ostream& out);

// Tries to connect to host:port for each port within `timeout_ms` each. Returns the ports that
// could not be reached (empty: all reached).
std::vector<int> unreachable_ports(const std::string& host, const std::vector<int>& ports, int timeout_ms);

}  // namespace choline::agent
