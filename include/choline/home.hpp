#pragma once
// The user's directories on the laptop, in one place: everything choline keeps per user (the
// local provider's hosts, the agent cache, pinned host keys), the config directory (API keys,
// choline's SSH identity) and the user's own home for "~/" paths. $HOME, $CHOLINE_HOME and
// $XDG_CONFIG_HOME are read here and nowhere else, on every call (tests change them).

#include <filesystem>
#include <string>

namespace choline {

// $HOME, or "/tmp" when it is unset or empty (a daemon's environment).
std::filesystem::path user_home();

// $CHOLINE_HOME, or ~/.choline: per-user state (the local provider's hosts, known_hosts).
std::filesystem::path choline_home();

// $XDG_CONFIG_HOME/choline, or ~/.config/choline: credentials.json and choline's SSH identity.
std::filesystem::path config_dir();

// The known_hosts file that pins every host's key choline ever connected to.
std::filesystem::path known_hosts_file();

// The user's own OpenSSH known_hosts (~/.ssh/known_hosts), for `choline sync` to plain hosts.
std::filesystem::path user_ssh_known_hosts();

// "~/x" -> <home>/x; any other path is returned as it is ("~user/x" is not expanded).
std::string expand_home(const std::string& path);

}  // namespace choline
