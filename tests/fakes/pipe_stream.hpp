#pragma once
// Two Streams joined back to back by pipes, for running both ends of a protocol in one test
// process. Optionally one side breaks after a byte budget, to simulate a dropped connection.

#include <choline/transport/transport.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

namespace choline::fakes {

struct StreamPair {
  std::unique_ptr<transport::Stream> a;
  std::unique_ptr<transport::Stream> b;
};

// `a_write_budget`: after this many bytes written by `a`, its writes fail and its pipe closes.
StreamPair make_stream_pair(std::uint64_t a_write_budget = std::numeric_limits<std::uint64_t>::max());

}  // namespace choline::fakes
