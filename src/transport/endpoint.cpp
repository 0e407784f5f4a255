#include <choline/transport/endpoint.hpp>

#include <choline/util/strings.hpp>

namespace choline::transport {

std::string SshAddress::describe() const {
  return (user.empty() ? "" : user + "@") + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

Result<Endpoint> parse_endpoint(const std::string& text) {
  const std::size_t colon = text.find(':');
  const std::size_t slash = text.find('/');
  const bool bracketed = util::starts_with(text, "[") || (text.find("@[") != std::string::npos);
  if (colon == std::string::npos || (slash != std::string::npos && slash < colon && !bracketed)) {
    if (text.empty()) return make_error(ErrorKind::usage, "empty path");
    return Endpoint{std::nullopt, text};
  }
  auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::usage, "bad remote location '" + text + "': " + why +
                                            " (expected [user@]host[:port]:/path)");
  };
  SshAddress address;
  std::string rest = text;
  if (const std::size_t at = rest.find('@'); at != std::string::npos && at < rest.find(':')) {
    address.user = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  if (util::starts_with(rest, "[")) {
    const std::size_t close = rest.find(']');
    if (close == std::string::npos) return bad("unclosed '['");
    address.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!util::starts_with(rest, ":")) return bad("expected ':' after the host");
    rest = rest.substr(1);
  } else {
    const std::size_t c = rest.find(':');
    address.host = rest.substr(0, c);
    rest = rest.substr(c + 1);
  }
  if (address.host.empty()) return bad("empty host");
  // An optional port: digits followed by ':' before the path.
  if (const std::size_t c = rest.find(':'); c != std::string::npos && c > 0 &&
                                            rest.find_first_not_of("0123456789") == c) {
    const auto port = util::parse_uint(rest.substr(0, c), 65535);
    if (!port || *port == 0) return bad("bad port");
    address.port = static_cast<int>(*port);
    rest = rest.substr(c + 1);
  }
  if (rest.empty()) return bad("empty path");
  return Endpoint{address, rest};
}

}  // namespace choline::transport
