#include <choline/util/log.hpp>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

using namespace choline::util;

TEST_CASE("Registered secrets never reach the log", "[util]") {
  std::ostringstream captured;
  init_logging_to(std::make_shared<spdlog::sinks::ostream_sink_mt>(captured), true);
  const std::string api_key = "vast-key-5f3c9a1b2d4e6f708192a3b4c5d6e7f8";
  register_secret(api_key);
  spdlog::info("calling the API with key {}", api_key);
  spdlog::debug("PUT /api/v0/asks/123/?api_key={}&x=1", api_key);
  spdlog::warn("header Authorization: Bearer {}", "unregistered-token-abcdef123456");
  spdlog::error("key file:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\nend");
  spdlog::default_logger()->flush();

  const std::string text = captured.str();
  CHECK_THAT(text, !Catch::Contains(api_key));
  CHECK_THAT(text, !Catch::Contains("unregistered-token-abcdef123456"));
  CHECK_THAT(text, !Catch::Contains("b3BlbnNzaC1rZXktdjEAAAAA"));
  CHECK_THAT(text, Catch::Contains("calling the API with key [REDACTED]"));
  CHECK_THAT(text, Catch::Contains("[REDACTED PRIVATE KEY]"));
  CHECK_THAT(text, Catch::Contains("end"));
  init_logging(false);
}

TEST_CASE("Redaction leaves ordinary text alone", "[util]") {
  CHECK(redact("epoch 3 loss 0.25 token count 12") == "epoch 3 loss 0.25 token count 12");
  CHECK(redact("GET /instances?limit=25&token=abcdef0123") == "GET /instances?limit=25&token=[REDACTED]");
}

TEST_CASE("Short values are not registered as secrets", "[util]") {
  register_secret("ab");
  CHECK(redact("abc ab") == "abc ab");
}
