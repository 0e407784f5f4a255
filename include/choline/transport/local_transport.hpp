#pragma once

#include <choline/transport/transport.hpp>

namespace choline::transport {

// Runs commands as local child processes over pipes. `wrapper` is prepended to every command:
// {"chroot", "/srv/root"} runs it inside a chroot, {} runs it directly.
std::unique_ptr<Transport> make_local_transport(std::vector<std::string> wrapper = {});

}  // namespace choline::transport
