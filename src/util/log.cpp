#include <choline/util/log.hpp>

#include <choline/util/progress.hpp>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <regex>
#include <vector>

namespace choline::util {

namespace {

std::mutex g_secrets_mutex;
std::vector<std::string> g_secrets;

constexpr std::string_view k_redacted = "[REDACTED]";

// Formats each record, redacts the text, then hands it to the wrapped sink as a plain payload.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(std::shared_ptr<spdlog::sinks::sink> inner) : m_inner(std::move(inner)) {
    m_inner->set_pattern("%v");
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string clean = redact(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::memory_buf_t formatted;
    spdlog::details::log_msg copy(msg.time, msg.source, msg.logger_name, msg.level, clean);
    formatter_->format(copy, formatted);
    // Strip the trailing newline: the inner sink, with pattern %v, adds its own.
    std::string line(formatted.data(), formatted.size());
    if (!line.empty() && line.back() == '\n') line.pop_back();
    spdlog::details::log_msg out(msg.time, msg.source, msg.logger_name, msg.level, line);
    // A progress status line on the terminal steps aside for the message.
    progress().suspend();
    m_inner->log(out);
    progress().resume();
  }
  void flush_() override { m_inner->flush(); }

 private:
  std::shared_ptr<spdlog::sinks::sink> m_inner;
};

}  // namespace

void register_secret(std::string value) {
  if (value.size() < 6) return;
  std::lock_guard lock(g_secrets_mutex);
  g_secrets.push_back(std::move(value));
}

std::string redact(std::string_view text) {
  std::string out(text);
  {
    std::lock_guard lock(g_secrets_mutex);
    for (const auto& secret : g_secrets) {
      for (std::size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at + k_redacted.size())) {
        out.replace(at, secret.size(), k_redacted);
      }
    }
  }
  // Patterns catch secrets nobody registered: a key file printed by mistake, a header dumped by
  // a debug line.
  static const std::regex pem(R"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$))");
  static const std::regex bearer(R"((Authorization:\s*Bearer\s+|Bearer\s+)[A-Za-z0-9._~+/=-]+)", std::regex::icase);
  static const std::regex api_key(R"(((api_key|apikey|api-key|token)=)[^&\s"]+)", std::regex::icase);
  if (out.find("PRIVATE KEY") != std::string::npos) out = std::regex_replace(out, pem, "[REDACTED PRIVATE KEY]");
  out = std::regex_replace(out, bearer, "$1[REDACTED]");
  out = std::regex_replace(out, api_key, "$1[REDACTED]");
  return out;
}

void init_logging_to(std::shared_ptr<spdlog::sinks::sink> sink, bool verbose, bool quiet) {
  auto redacting = std::make_shared<RedactingSink>(std::move(sink));
  auto logger = std::make_shared<spdlog::logger>("choline", redacting);
  logger->set_pattern(verbose ? "[%H:%M:%S.%e] %l: %v" : "%l: %v");
  logger->set_level(verbose ? spdlog::level::debug : quiet ? spdlog::level::warn : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void init_logging(bool verbose, bool quiet) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  if (!colors_wanted(2)) sink->set_color_mode(spdlog::color_mode::never);  // NO_COLOR, TERM=dumb
  init_logging_to(std::move(sink), verbose, quiet);
}

}  // namespace choline::util
