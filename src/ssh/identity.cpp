#include <choline/ssh/identity.hpp>

#include <libssh/libssh.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <sys/stat.h>

namespace choline::ssh {

namespace {

Result<std::string> public_line(ssh_key key) {
  char* base64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &base64) != SSH_OK) return make_error(ErrorKind::internal, "cannot export the public key");
  std::string line = std::string(ssh_key_type_to_char(ssh_key_type(key))) + " " + base64 + " choline";
  ssh_string_free_char(base64);
  return line;
}

}  // namespace

Result<Identity> ensure_identity(const std::filesystem::path& dir) {
  static std::mutex mutex;  // parallel providers must not generate two keys
  std::lock_guard lock(mutex);
  Identity identity{dir / "id_ed25519", ""};
  const auto pub = dir / "id_ed25519.pub";
  ssh_key key = nullptr;
  if (std::filesystem::exists(identity.private_key)) {
    if (ssh_pki_import_privkey_file(identity.private_key.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
      return make_error(ErrorKind::io, "cannot read choline's SSH key " + identity.private_key.string() +
                                           "; move it away and choline makes a new one");
    }
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    ::chmod(dir.c_str(), 0700);
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
      return make_error(ErrorKind::internal, "libssh could not generate an ed25519 key");
    }
    const auto tmp = identity.private_key.string() + ".tmp";
    const mode_t old = ::umask(077);
    const int rc = ssh_pki_export_privkey_file(key, nullptr, nullptr, nullptr, tmp.c_str());
    ::umask(old);
    if (rc != SSH_OK) {
      ssh_key_free(key);
      return make_error(ErrorKind::io, "cannot write " + tmp);
    }
    ::chmod(tmp.c_str(), 0600);
    std::filesystem::rename(tmp, identity.private_key, ec);
    if (ec) {
      ssh_key_free(key);
      return make_error(ErrorKind::io, "cannot write " + identity.private_key.string() + ": " + ec.message());
    }
  }
  auto line = public_line(key);
  ssh_key_free(key);
  if (!line) return line.error();
  identity.public_key = *line;
  std::ofstream(pub) << identity.public_key << "\n";
  return identity;
}

}  // namespace choline::ssh
