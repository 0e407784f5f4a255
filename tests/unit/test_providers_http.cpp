// The HTTP layer's policy: which failures are retried, how long it waits, when it gives up, and
// that a key never reaches an error message; credentials and their file's permissions.
#include <choline/providers/credentials.hpp>
#include <choline/providers/http.hpp>
#include <choline/util/log.hpp>

#include "fakes/fake_provider.hpp"
#include "sync_fixtures.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <deque>
#include <sys/stat.h>

using namespace choline;
using namespace choline::providers;

namespace {

// Answers from a script; counts the requests.
class ScriptedHttp final : public HttpClient {
 public:
  std::deque<Result<HttpResponse>> answers;
  std::vector<HttpRequest> seen;
  Result<HttpResponse> send(const HttpRequest& request) override {
    seen.push_back(request);
    if (answers.empty()) return HttpResponse{200, "{}"};
    auto next = answers.front();
    answers.pop_front();
    return next;
  }
};

// A classifier like the providers': JSON objects pass, statuses decide the rest.
std::variant<nlohmann::json, ApiError> generic(const HttpResponse& response) {
  if (response.status >= 200 && response.status < 300) return nlohmann::json::parse(response.body);
  return ApiError{classify_status(response.status), "HTTP " + std::to_string(response.status)};
}

struct Env {
  std::string name;
  std::optional<std::string> old;
  Env(std::string n, const char* value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    if (value) ::setenv(name.c_str(), value, 1); else ::unsetenv(name.c_str());
  }
  ~Env() {
    if (old) ::setenv(name.c_str(), old->c_str(), 1); else ::unsetenv(name.c_str());
  }
};

}  // namespace

TEST_CASE("HTTP statuses map to one error classification", "[providers][http]") {
  CHECK(classify_status(401) == ApiErrorKind::auth);
  CHECK(classify_status(403) == ApiErrorKind::auth);
  CHECK(classify_status(404) == ApiErrorKind::not_found);
  CHECK(classify_status(410) == ApiErrorKind::not_found);
  CHECK(classify_status(429) == ApiErrorKind::rate_limited);
  CHECK(classify_status(500) == ApiErrorKind::transient);
  CHECK(classify_status(502) == ApiErrorKind::transient);
  CHECK(classify_status(503) == ApiErrorKind::transient);
  CHECK(classify_status(400) == ApiErrorKind::invalid);
  CHECK(classify_status(422) == ApiErrorKind::invalid);
  CHECK(error_kind_of(ApiErrorKind::no_capacity) == ErrorKind::capacity);
  CHECK(error_kind_of(ApiErrorKind::auth) == ErrorKind::auth);
  CHECK(error_kind_of(ApiErrorKind::rate_limited) == ErrorKind::network);
}

TEST_CASE("The retry policy retries transient failures and rate limits only, with bounded jittered backoff", "[providers][http]") {
  CHECK(RetryPolicy::retries(ApiErrorKind::transient));
  CHECK(RetryPolicy::retries(ApiErrorKind::rate_limited));
  CHECK_FALSE(RetryPolicy::retries(ApiErrorKind::auth));
  CHECK_FALSE(RetryPolicy::retries(ApiErrorKind::invalid));
  CHECK_FALSE(RetryPolicy::retries(ApiErrorKind::not_found));
  CHECK_FALSE(RetryPolicy::retries(ApiErrorKind::no_capacity));
  RetryPolicy policy;  // 0.2 s, x1.5, at most 5 s
  CHECK(policy.delay(1, 1.0).count() == 200);
  CHECK(policy.delay(1, 0.0).count() == 100);
  CHECK(policy.delay(2, 1.0).count() == 300);
  CHECK(policy.delay(3, 1.0).count() == 450);
  for (int retry = 1; retry < 40; ++retry) {
    CHECK(policy.delay(retry, 0.0).count() >= 100);
    CHECK(policy.delay(retry, 1.0).count() <= 5000);
    CHECK(policy.delay(retry, 0.5) <= policy.delay(retry, 1.0));
  }
  CHECK(policy.delay(30, 1.0).count() == 5000);
}

TEST_CASE("ApiCaller rides out a 429 storm and 5xx, then answers", "[providers][http]") {
  auto http = std::make_shared<ScriptedHttp>();
  for (int i = 0; i < 5; ++i) http->answers.push_back(HttpResponse{429, "Too Many Requests"});
  http->answers.push_back(HttpResponse{503, "busy"});
  http->answers.push_back(make_error(ErrorKind::network, "connection reset"));
  http->answers.push_back(HttpResponse{200, R"({"ok": true})"});
  fakes::FakeClock clock;
  const auto start = clock.now();
  ApiCaller api("test", http, generic, RetryPolicy{}, &clock);
  auto answer = api.call({"GET", "http://x/", {}, ""});
  REQUIRE(answer.ok());
  CHECK((*answer)["ok"] == true);
  CHECK(http->seen.size() == 8);
  // Seven waits of the backoff: 0.1..0.2, 0.15..0.3, ... never more than their sum at full jitter.
  const double waited = util::seconds_between(start, clock.now());
  CHECK(waited >= 0.1 + 0.15 + 0.225 + 0.3375 + 0.50625 + 0.759 + 1.139 - 0.01);
  CHECK(waited <= 0.2 + 0.3 + 0.45 + 0.675 + 1.0125 + 1.51875 + 2.278 + 0.01);
}

TEST_CASE("ApiCaller never retries a bad key or an invalid request, and gives up at the deadline", "[providers][http]") {
  auto http = std::make_shared<ScriptedHttp>();
  fakes::FakeClock clock;
  ApiCaller api("vast.ai", http, generic, RetryPolicy{}, &clock);
  http->answers.push_back(HttpResponse{401, ""});
  auto denied = api.call({"GET", "http://x/", {}, ""});
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.error().kind == ErrorKind::auth);
  CHECK(http->seen.size() == 1);

  http->answers.push_back(HttpResponse{400, ""});
  auto invalid = api.call({"GET", "http://x/", {}, ""});
  CHECK(invalid.error().kind == ErrorKind::usage);
  CHECK(http->seen.size() == 2);

  RetryPolicy short_policy;
  short_policy.deadline = std::chrono::seconds(3);
  ApiCaller impatient("vast.ai", http, generic, short_policy, &clock);
  for (int i = 0; i < 100; ++i) http->answers.push_back(HttpResponse{503, ""});
  const auto start = clock.now();
  auto down = impatient.call({"GET", "http://x/", {}, ""});
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().kind == ErrorKind::network);
  CHECK_THAT(down.error().message, Catch::Contains("gave up after"));
  CHECK(util::seconds_between(start, clock.now()) <= 3.0);
}

TEST_CASE("An API key in a URL or message never reaches an error", "[providers][http]") {
  const std::string key = "sk-live-9f8e7d6c5b4a39281706";
  util::register_secret(key);
  auto http = std::make_shared<ScriptedHttp>();
  http->answers.push_back(make_error(ErrorKind::network, "could not connect (GET http://x/?api_key=" + key + ")"));
  RetryPolicy once;
  once.max_attempts = 1;
  fakes::FakeClock clock;
  ApiCaller api("vast.ai", http, generic, once, &clock);
  auto failed = api.call({"GET", "http://x/?api_key=" + key, {{"Authorization", "Bearer " + key}}, ""});
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.error().message, !Catch::Contains(key));
  CHECK(util::redact("Authorization: Bearer " + key) == "Authorization: Bearer [REDACTED]");
}

TEST_CASE("The credentials file must be private, the fix is named", "[providers][credentials]") {
  CHECK(check_private_mode("/home/u/.config/choline/credentials.json", 0100600).ok());
  CHECK(check_private_mode("/c.json", 0400).ok());
  auto open = check_private_mode("/home/u/.config/choline/credentials.json", 0100644);
  REQUIRE_FALSE(open.ok());
  CHECK_THAT(open.error().message, Catch::Contains("chmod 600 /home/u/.config/choline/credentials.json"));
  CHECK_THAT(open.error().message, Catch::Contains("0644"));
  CHECK_FALSE(check_private_mode("/c.json", 0640).ok());
  CHECK_FALSE(check_private_mode("/c.json", 0602).ok());
}

TEST_CASE("Keys come from the variable, else from credentials.json, a missing key names both", "[providers][credentials]") {
  CHECK(*key_from_credentials_json(R"({"vast": "K1"})", "vast", "f") == "K1");
  CHECK(*key_from_credentials_json(R"({"runpod": {"api_key": "K2"}})", "runpod", "f") == "K2");
  CHECK(key_from_credentials_json(R"({"vast": "K1"})", "lambda", "f")->empty());
  auto broken = key_from_credentials_json("{\"vast\": \"SECRET", "vast", "creds.json");
  REQUIRE_FALSE(broken.ok());
  CHECK_THAT(broken.error().message, !Catch::Contains("SECRET"));

  testing::TempDir dir;
  Env xdg("XDG_CONFIG_HOME", dir.path.c_str());
  Env var("CHOLINE_TEST_KEY_VAR", nullptr);
  const CredentialSpec spec{"vast", "CHOLINE_TEST_KEY_VAR", "vast.ai"};
  auto missing = load_api_key(spec);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::auth);
  CHECK_THAT(missing.error().message, Catch::Contains("CHOLINE_TEST_KEY_VAR"));
  CHECK_THAT(missing.error().message, Catch::Contains((dir.path / "choline" / "credentials.json").string()));

  const auto file = dir.path / "choline" / "credentials.json";
  testing::write_file(file, R"({"vast": "file-key-123456789"})");
  ::chmod(file.c_str(), 0644);
  auto refused = load_api_key(spec);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("chmod 600"));
  ::chmod(file.c_str(), 0600);
  CHECK(*load_api_key(spec) == "file-key-123456789");
  CHECK(util::redact("key file-key-123456789 here") == "key [REDACTED] here");
  Env set("CHOLINE_TEST_KEY_VAR", "env-key-abcdefgh");
  CHECK(*load_api_key(spec) == "env-key-abcdefgh");
}
