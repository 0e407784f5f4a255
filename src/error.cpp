#include <choline/error.hpp>

#include <cerrno>
#include <cstring>

namespace choline {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage: return "usage";
    case ErrorKind::not_found: return "not found";
    case ErrorKind::io: return "i/o";
    case ErrorKind::network: return "network";
    case ErrorKind::auth: return "authentication";
    case ErrorKind::protocol: return "protocol";
    case ErrorKind::remote: return "remote";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::capacity: return "no capacity";
    case ErrorKind::interrupted: return "interrupted";
    case ErrorKind::internal: return "internal";
  }
  return "unknown";
}

Error error_from_errno(const std::string& what) {
  const int code = errno;
  return make_error(code == ENOENT ? ErrorKind::not_found : ErrorKind::io, what + ": " + std::strerror(code));
}

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage: return 2;
    case ErrorKind::interrupted: return 130;
    default: return 1;
  }
}

}  // namespace choline
