// The HTTP client over libcurl and the retry loop every provider call goes through.
#include <choline/providers/http.hpp>

#include <choline/util/interrupt.hpp>
#include <choline/util/log.hpp>

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace choline::providers {

namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// One libcurl easy handle per concurrent caller, kept between calls so connections (and TLS
// sessions) are reused.
class CurlClient final : public HttpClient {
 public:
  explicit CurlClient(const HttpSettings& settings) : m_settings(settings) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  ~CurlClient() override {
    for (CURL* handle : m_idle) curl_easy_cleanup(handle);
  }

  Result<HttpResponse> send(const HttpRequest& request) override {
    CURL* curl = take();
    HttpResponse response;
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
    headers = curl_slist_append(headers, "Accept: application/json");
    if (!request.body.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method != "GET") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_settings.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(m_settings.total_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "choline");
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    const auto started = std::chrono::steady_clock::now();
    const CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    if (code != CURLE_OK) {
      give_back(curl);
      spdlog::debug("http {} {} -> {} ({} ms)", request.method, request.url, curl_easy_strerror(code), ms);
      const ErrorKind kind = code == CURLE_OPERATION_TIMEDOUT ? ErrorKind::timeout : ErrorKind::network;
      return make_error(kind, std::string(curl_easy_strerror(code)) + " (" + request.method + " " + util::redact(request.url) + ")");
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    give_back(curl);
    // The redacting sink removes keys from the URL (api_key=) and headers; bodies are not logged.
    spdlog::debug("http {} {} -> {} ({} bytes, {} ms)", request.method, request.url, response.status, response.body.size(), ms);
    return response;
  }

 private:
  CURL* take() {
    std::lock_guard lock(m_mutex);
    if (m_idle.empty()) return curl_easy_init();
    CURL* handle = m_idle.back();
    m_idle.pop_back();
    return handle;
  }

  void give_back(CURL* handle) {
    std::lock_guard lock(m_mutex);
    m_idle.push_back(handle);
  }

  HttpSettings m_settings;
  std::mutex m_mutex;
  std::vector<CURL*> m_idle;
};

}  // namespace

std::unique_ptr<HttpClient> make_curl_client(const HttpSettings& settings) { return std::make_unique<CurlClient>(settings); }

const char* to_string(ApiErrorKind kind) {
  switch (kind) {
    case ApiErrorKind::transient: return "transient";
    case ApiErrorKind::rate_limited: return "rate limited";
    case ApiErrorKind::auth: return "auth";
    case ApiErrorKind::not_found: return "not found";
    case ApiErrorKind::no_capacity: return "no capacity";
    case ApiErrorKind::invalid: return "invalid";
  }
  return "invalid";
}

ApiErrorKind classify_status(long status) {
  if (status == 401 || status == 403) return ApiErrorKind::auth;
  if (status == 404 || status == 410) return ApiErrorKind::not_found;
  if (status == 429) return ApiErrorKind::rate_limited;
  if (status == 408 || status >= 500 || status == 0) return ApiErrorKind::transient;
  return ApiErrorKind::invalid;
}

ErrorKind error_kind_of(ApiErrorKind kind) {
  switch (kind) {
    case ApiErrorKind::transient:
    case ApiErrorKind::rate_limited: return ErrorKind::network;
    case ApiErrorKind::auth: return ErrorKind::auth;
    case ApiErrorKind::not_found: return ErrorKind::not_found;
    case ApiErrorKind::no_capacity: return ErrorKind::capacity;
    case ApiErrorKind::invalid: return ErrorKind::usage;
  }
  return ErrorKind::usage;
}

bool RetryPolicy::retries(ApiErrorKind kind) {
  return kind == ApiErrorKind::transient || kind == ApiErrorKind::rate_limited;
}

std::chrono::milliseconds RetryPolicy::delay(int retry, double jitter) const {
  const double base = std::min(static_cast<double>(max_delay.count()),
                               static_cast<double>(initial.count()) * std::pow(factor, std::max(0, retry - 1)));
  const double clamped = std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(base / 2 + base / 2 * clamped));
}

ApiCaller::ApiCaller(std::string provider, std::shared_ptr<HttpClient> client, ResponseClassifier classify,
                     RetryPolicy policy, util::Clock* clock)
    : m_provider(std::move(provider)), m_client(std::move(client)), m_classify(std::move(classify)), m_policy(policy),
      m_clock(clock), m_random(std::random_device{}()) {}

Result<nlohmann::json> ApiCaller::call(const HttpRequest& request, ApiErrorKind* api_kind) {
  const auto started = m_clock->now();
  ApiError last;
  for (int attempt = 1;; ++attempt) {
    auto response = m_client->send(request);
    if (response) {
      auto classified = m_classify(*response);
      if (auto* json = std::get_if<nlohmann::json>(&classified)) return std::move(*json);
      last = std::get<ApiError>(classified);
    } else {
      last = {ApiErrorKind::transient, response.error().message};
    }
    if (api_kind) *api_kind = last.kind;
    const bool may_retry = RetryPolicy::retries(last.kind) && attempt < m_policy.max_attempts;
    std::chrono::milliseconds wait{0};
    if (may_retry) {
      std::lock_guard lock(m_random_mutex);
      wait = m_policy.delay(attempt, std::uniform_real_distribution<double>(0, 1)(m_random));
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(m_clock->now() - started);
    if (!may_retry || elapsed + wait > m_policy.deadline || util::interrupt_requested()) {
      std::string message = m_provider + ": " + util::redact(last.message);
      if (RetryPolicy::retries(last.kind) && attempt > 1) {
        message += " (gave up after " + std::to_string(attempt) + " tries in " + std::to_string(elapsed.count() / 1000) + " s)";
      }
      return make_error(util::interrupt_requested() ? ErrorKind::interrupted : error_kind_of(last.kind), message);
    }
    spdlog::debug("{}: {} ({}); retry {} in {} ms", m_provider, to_string(last.kind), util::redact(last.message), attempt,
                  wait.count());
    m_clock->sleep_for(wait);
  }
}

std::string url_encode(const std::string& value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace choline::providers
