#include <choline/providers/credentials.hpp>

#include <choline/home.hpp>
#include <choline/util/log.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace choline::providers {

std::filesystem::path credentials_file() { return config_dir() / "credentials.json"; }

Status check_private_mode(const std::filesystem::path& file, mode_t mode) {
  if ((mode & 077) == 0) return {};
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode & 07777));
  return make_error(ErrorKind::usage, file.string() + " holds API keys but is readable by others (mode " + octal +
                                          "); fix it with: chmod 600 " + file.string());
}

Result<std::string> key_from_credentials_json(const std::string& text, const std::string& provider,
                                              const std::string& source) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    // The text may hold keys: never quote it.
    return make_error(ErrorKind::usage, source + " is not a JSON object like {\"vast\": \"KEY\"}");
  }
  if (!j.contains(provider)) return std::string();
  const auto& entry = j[provider];
  if (entry.is_string()) return entry.get<std::string>();
  if (entry.is_object() && entry.contains("api_key") && entry["api_key"].is_string()) return entry["api_key"].get<std::string>();
  return make_error(ErrorKind::usage, source + ": \"" + provider + "\" must be a string (the API key) or {\"api_key\": ...}");
}

Result<std::string> load_api_key(const CredentialSpec& spec) {
  if (const char* value = std::getenv(spec.env_var.c_str()); value && *value) {
    util::register_secret(value);
    return std::string(value);
  }
  const auto file = credentials_file();
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0) {
    if (auto ok = check_private_mode(file, st.st_mode); !ok) return ok.error();
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto key = key_from_credentials_json(text.str(), spec.provider, file.string());
    if (!key) return key.error();
    if (!key->empty()) {
      util::register_secret(*key);
      return *key;
    }
  }
  return make_error(ErrorKind::auth, "no " + spec.display + " API key: set " + spec.env_var + ", or add \"" + spec.provider +
                                         "\": \"KEY\" to " + file.string() + " (mode 0600)");
}

}  // namespace choline::providers
