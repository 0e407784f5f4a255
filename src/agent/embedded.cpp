#include <choline/agent/embedded.hpp>

#include <choline/util/files.hpp>
#include <choline/util/hash.hpp>

#include <sys/stat.h>

#include <mutex>

// Defined by the assembled blob in the choline executable only (agent_blob.S); weak, so every
// other binary links and sees no agent.
extern "C" {
extern const char choline_agent_blob_start[] __attribute__((weak));
extern const char choline_agent_blob_end[] __attribute__((weak));
}

namespace choline::agent {

std::string_view embedded_agent() {
  if (!choline_agent_blob_start || !choline_agent_blob_end) return {};
  return std::string_view(choline_agent_blob_start, static_cast<std::size_t>(choline_agent_blob_end - choline_agent_blob_start));
}

std::string embedded_agent_hash() {
  static const std::string hash = [] {
    const auto blob = embedded_agent();
    util::Hash128 h;
    h.update(blob.data(), blob.size());
    return util::to_hex(h.digest()).substr(0, 16);
  }();
  return hash;
}

Status extract_agent(const std::filesystem::path& path) {
  const auto blob = embedded_agent();
  if (blob.empty()) return make_error(ErrorKind::unsupported, "this binary carries no embedded agent (it is the agent itself, or a test build)");
  // Executable from the moment it appears: a concurrent reader may run it at once.
  return util::write_file_atomic(path, blob, 0755);
}

std::string agent_file_name() { return "choline-agent-" + embedded_agent_hash(); }

Result<std::filesystem::path> cached_agent(const std::filesystem::path& dir) {
  // One extraction at a time in this process. Two threads extracting at once each hold a file
  // open for writing; a child another thread forks meanwhile inherits that descriptor until it
  // execs, and if it execs the agent just renamed into place, it fails with "Text file busy".
  static std::mutex extracting;
  const std::lock_guard lock(extracting);
  const auto path = dir / agent_file_name();
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return path;
  std::filesystem::create_directories(dir, ec);
  if (auto ok = extract_agent(path); !ok) return ok.error();
  return path;
}

}  // namespace choline::agent
