#pragma once
// The static agent carried inside the choline binary. Rented hosts run whatever image the
// provider starts (older glibc, no libssh), so what choline runs there is a fully static build
// of the agent, embedded at build time and written out on demand.

#include <choline/error.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace choline::agent {

// The embedded static agent's bytes; empty in binaries that carry none (the agent itself, tests).
std::string_view embedded_agent();

// A short content hash of the embedded agent: its file name on hosts, so an unchanged agent is
// never uploaded twice and two versions never collide.
std::string embedded_agent_hash();

// Writes the embedded agent to `path` (mode 0755, atomically).
Status extract_agent(const std::filesystem::path& path);

// The file name of the embedded agent on any host: choline-agent-<hash>.
std::string agent_file_name();

// The embedded agent extracted once under `dir` as agent_file_name(); returns its path.
Result<std::filesystem::path> cached_agent(const std::filesystem::path& dir);

}  // namespace choline::agent
