#pragma once
// The one HTTP layer the REST providers share: a small client interface (libcurl behind it: TLS
// verified, timeouts, connection reuse, a redacted request log at debug level), one
// classification of API failures, and one retry policy that every provider call goes through.
// No provider retries by hand: it classifies a response, and `ApiCaller::call` decides.

#include <choline/error.hpp>
#include <choline/util/clock.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace choline::providers {

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT, DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent as application/json when not empty
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request. An HTTP error status is a response, not an error; the error is for the
  // transport (DNS, connect, TLS, timeout): kind network or timeout. Thread-safe.
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

struct HttpSettings {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{30000};
};

std::unique_ptr<HttpClient> make_curl_client(const HttpSettings& settings = {});

// ---- What went wrong with an API call ---------------------------------------------------------

enum class ApiErrorKind {
  transient,     // 5xx, transport errors: retried
  rate_limited,  // 429: retried
  auth,          // bad or missing key: never retried
  not_found,     // the object (offer, instance) does not exist
  no_capacity,   // sold out: try another offer
  invalid,       // the request is wrong: never retried
};

const char* to_string(ApiErrorKind kind);

struct ApiError {
  ApiErrorKind kind = ApiErrorKind::invalid;
  std::string message;
};

// The HTTP status's class where the body says nothing more: 401/403 auth, 404/410 not found,
// 429 rate limited, 408/5xx transient, other 4xx invalid.
ApiErrorKind classify_status(long status);

// The project's error for an API error (kinds: network, auth, not_found, capacity, usage).
ErrorKind error_kind_of(ApiErrorKind kind);

// ---- Retrying -------------------------------------------------------------------------------

struct RetryPolicy {
  std::chrono::milliseconds initial{200};
  double factor = 1.5;
  std::chrono::milliseconds max_delay{5000};
  std::chrono::milliseconds deadline{45000};  // no retry starts after this much time
  int max_attempts = 30;

  // Only transient failures and rate limits are retried; auth, invalid, not found and no
  // capacity answer the same way the next time.
  static bool retries(ApiErrorKind kind);

  // The wait before retry number `retry` (1-based): base = min(max_delay, initial * factor^(retry-1)),
  // jittered into [base/2, base] by `jitter` in [0, 1].
  std::chrono::milliseconds delay(int retry, double jitter) const;
};

// A response turned into JSON or a classified error. Each provider writes one: vast's
// {"success":false}, RunPod's errors inside 200, Lambda's {"error":{"code"}}.
using ResponseClassifier = std::function<std::variant<nlohmann::json, ApiError>(const HttpResponse&)>;

// Calls an API with the retry policy: every request of a provider goes through one of these.
class ApiCaller {
 public:
  ApiCaller(std::string provider, std::shared_ptr<HttpClient> client, ResponseClassifier classify,
            RetryPolicy policy = {}, util::Clock* clock = &util::system_clock());

  // The JSON answer, or an Error naming the provider (kind from error_kind_of) after retrying
  // what may be retried within the policy's deadline. `api_kind` (optional) receives the last
  // failure's classification.
  Result<nlohmann::json> call(const HttpRequest& request, ApiErrorKind* api_kind = nullptr);

  const RetryPolicy& policy() const { return m_policy; }

 private:
  std::string m_provider;
  std::shared_ptr<HttpClient> m_client;
  ResponseClassifier m_classify;
  RetryPolicy m_policy;
  util::Clock* m_clock;
  std::mt19937 m_random;
  std::mutex m_random_mutex;
};

// Percent-encodes a query parameter value.
std::string url_encode(const std::string& value);

}  // namespace choline::providers
