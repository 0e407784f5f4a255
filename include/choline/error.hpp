#pragma once
// The project's error model: expected failures travel as values (Result<T>), never as
// exceptions. Each library adapter turns its library's errors into an Error with a kind, so
// callers decide on the kind (retry a network error, stop on a usage error) and the single
// catch site in app_main only maps kinds to exit codes.

#include <string>
#include <utility>
#include <variant>

namespace choline {

enum class ErrorKind {
  usage,        // the user's command line or config is wrong: exit 2
  not_found,    // a file, run or host that should exist does not
  io,           // local file system
  network,      // connect, DNS, connection reset: worth a retry
  auth,         // bad key, refused credentials
  protocol,     // the peer sent something malformed or hostile
  remote,       // a remote command or host reported failure
  timeout,
  unsupported,  // asked for something this build or provider cannot do
  capacity,     // a provider has no machine for the request now (sold out, the offer is gone)
  interrupted,  // Ctrl-C: exit 130
  internal,     // a bug of ours that we caught
};

const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;

  // Returns a copy whose message is "context: message", for adding where-it-happened detail
  // while an error travels up.
  Error with_context(const std::string& context) const { return {kind, context + ": " + message}; }
};

inline Error make_error(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

// "what: <strerror(errno)>", read at the call: not_found for ENOENT, io otherwise. For the
// adapters around system calls.
Error error_from_errno(const std::string& what);

// The process exit code for an error of this kind: 2 usage, 130 interrupted, 1 otherwise.
int exit_code_for(ErrorKind kind);

// A value or an Error. Implicitly constructible from either, so functions can `return value;`
// or `return make_error(...)`.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_state(std::move(value)) {}
  Result(Error error) : m_state(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(m_state); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(m_state); }
  const T& value() const& { return std::get<T>(m_state); }
  T&& value() && { return std::get<T>(std::move(m_state)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<Error>(m_state); }
  Error&& error() && { return std::get<Error>(std::move(m_state)); }

 private:
  std::variant<T, Error> m_state;
};

// Result of an operation that yields nothing but may fail.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)), m_failed(true) {}

  bool ok() const { return !m_failed; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return m_error; }

 private:
  Error m_error;
  bool m_failed = false;
};

using Status = Result<void>;

}  // namespace choline
