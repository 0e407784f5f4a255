// The laptop reading a host's log stream: log frames, state frames (JSON from the host) and
// metrics lines inside the logs. Errors are fine; crashes, hangs and stack overflows are not.
#include <choline/agent/log_stream.hpp>
#include <choline/records/metrics.hpp>

#include "fuzz_support.hpp"

using namespace choline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::InputStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  sync::FrameReader reader(stream);
  agent::LogHandlers handlers;
  handlers.on_log = [](int, std::uint64_t, std::string_view bytes) {
    std::size_t at = 0;
    while (at < bytes.size()) {
      std::size_t end = bytes.find('\n', at);
      if (end == std::string_view::npos) end = bytes.size();
      if (auto values = records::parse_metrics_line(bytes.substr(at, end - at))) (void)values->dump();
      (void)agent::parse_attempt_marker(bytes.substr(at, end - at));
      at = end + 1;
    }
    return Status{};
  };
  handlers.on_state = [](const agent::JobState& state) {
    (void)state.failed_exit_code();
    return Status{};
  };
  (void)agent::receive_logs(reader, handlers);
  return 0;
}
