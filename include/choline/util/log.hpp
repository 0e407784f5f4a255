#pragma once
// Logging: spdlog to stderr through a sink that redacts secrets, so an API key or private key
// cannot reach a terminal, a log file or a bug report by accident.

#include <memory>
#include <string>
#include <string_view>

namespace spdlog::sinks {
class sink;
}

namespace choline::util {

// Installs the default logger: stderr, "info" ("debug" when verbose, "warn" when quiet),
// redacting, coloured only where colors_wanted (progress.hpp) says so.
void init_logging(bool verbose, bool quiet = false);

// Installs the default logger writing to `sink` instead (tests capture output this way).
void init_logging_to(std::shared_ptr<spdlog::sinks::sink> sink, bool verbose, bool quiet = false);

// Registers a secret value (an API key, a token): every later log line has it replaced by
// "[REDACTED]". Values shorter than 6 characters are ignored: redacting them would mangle logs
// without protecting anything.
void register_secret(std::string value);

// Replaces registered secrets, PEM private-key blocks, and values of Authorization/Bearer
// headers and api_key= parameters in `text`.
std::string redact(std::string_view text);

}  // namespace choline::util
