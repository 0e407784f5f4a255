#pragma once

#include <choline/transport/transport.hpp>

namespace choline::transport {

// This process's stdin/stdout as a Stream: the agent's end of a transport.
std::unique_ptr<Stream> make_stdio_stream();

}  // namespace choline::transport
