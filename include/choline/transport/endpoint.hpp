#pragma once
// Where one side of a sync lives: a local path, or `[user@]host[:port]:/path` on an SSH host.
// Pure parsing.

#include <choline/error.hpp>

#include <optional>
#include <string>

namespace choline::transport {

struct SshAddress {
  std::string user;  // empty: the local user name
  std::string host;
  int port = 22;
  bool operator==(const SshAddress&) const = default;
  // "user@host:port", for messages and known_hosts lookups.
  std::string describe() const;
};

struct Endpoint {
  std::optional<SshAddress> remote;  // empty: a local path
  std::string path;
  bool operator==(const Endpoint&) const = default;
};

// A word with a ':' before its first '/' is remote ("host:/p", "u@h:2222:/p", "[::1]:22:/p");
// anything else is a local path ("./a:b" stays local). Fails on an empty host or path or a bad
// port.
Result<Endpoint> parse_endpoint(const std::string& text);

}  // namespace choline::transport
