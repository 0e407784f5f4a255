#pragma once
// API keys for the REST providers: from the provider's environment variable, else from
// ~/.config/choline/credentials.json (XDG_CONFIG_HOME honoured), which must be private (0600).
// A key, once loaded, is registered with the redacting log sink; it never goes to a host, a
// run record or a message.

#include <choline/error.hpp>

#include <filesystem>
#include <string>
#include <sys/types.h>

namespace choline::providers {

struct CredentialSpec {
  std::string provider;  // "vast": the key in credentials.json
  std::string env_var;   // "VAST_API_KEY"
  std::string display;   // "vast.ai", for messages
};

// config_dir() (home.hpp)/credentials.json.
std::filesystem::path credentials_file();

// Pure: fails (usage) when `mode` lets the group or others read or write the file, naming the
// chmod that fixes it.
Status check_private_mode(const std::filesystem::path& file, mode_t mode);

// Pure: the provider's key in credentials.json text: {"vast": "KEY"} or {"vast": {"api_key": "KEY"}}.
// Returns "" when the file does not mention the provider; an error when the text is not JSON.
Result<std::string> key_from_credentials_json(const std::string& text, const std::string& provider,
                                              const std::string& source);

// The key: the environment variable first, then the file. A missing key is an auth error that
// names both the variable and the file. The key is registered as a secret.
Result<std::string> load_api_key(const CredentialSpec& spec);

}  // namespace choline::providers
