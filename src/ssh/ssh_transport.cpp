#include <choline/ssh/ssh_transport.hpp>

#include <choline/home.hpp>

#include <libssh/libssh.h>
#include <libssh/server.h>  // ssh_send_keepalive is declared here
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

namespace choline::ssh {

using namespace transport;

namespace {

constexpr int k_poll_ms = 10;
constexpr auto k_keepalive_every = std::chrono::seconds(10);

// One SSH connection. libssh forbids using a session from two threads at once, so every call
// into it takes this mutex; streams hold it only for non-blocking calls and wait on the socket
// outside it.
struct Session {
  ssh_session handle = nullptr;
  std::mutex mutex;
  std::string description;
  std::chrono::steady_clock::time_point last_keepalive = std::chrono::steady_clock::now();

  ~Session() {
    if (handle) {
      ssh_disconnect(handle);
      ssh_free(handle);
    }
  }

  // Waits until the socket may have data; called without the mutex.
  void wait_readable() {
    pollfd fd{ssh_get_fd(handle), POLLIN, 0};
    ::poll(&fd, 1, k_poll_ms);
  }

  // Called with the mutex held while a stream waits: keeps NAT state alive and makes the kernel
  // notice a dead peer through TCP_USER_TIMEOUT.
  void maybe_keepalive() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_keepalive >= k_keepalive_every) {
      ssh_send_keepalive(handle);
      last_keepalive = now;
    }
  }
};

Error ssh_failure(ErrorKind kind, const std::string& what, ssh_session session) {
  return make_error(kind, what + ": " + ssh_get_error(session));
}

class SshStream final : public Stream {
 public:
  SshStream(std::shared_ptr<Session> session, ssh_channel channel) : m_session(std::move(session)), m_channel(channel) {}

  ~SshStream() override {
    std::lock_guard lock(m_session->mutex);
    if (ssh_channel_is_open(m_channel)) ssh_channel_close(m_channel);
    ssh_channel_free(m_channel);
  }

  Result<std::size_t> read_some(void* buffer, std::size_t size) override {
    const auto capped = static_cast<std::uint32_t>(std::min<std::size_t>(size, 1 << 20));
    for (;;) {
      if (auto ok = check_waiting(); !ok) return ok.error();
      {
        std::lock_guard lock(m_session->mutex);
        const int n = ssh_channel_read_nonblocking(m_channel, buffer, capped, 0);
        if (n > 0) {
          note_progress();
          return static_cast<std::size_t>(n);
        }
        if (n == SSH_ERROR) return ssh_failure(ErrorKind::network, "reading from " + m_session->description, m_session->handle);
        drain_stderr();
        if (ssh_channel_is_eof(m_channel) || !ssh_channel_is_open(m_channel)) return std::size_t{0};
        m_session->maybe_keepalive();
      }
      m_session->wait_readable();
    }
  }

  Status write_all(const void* data, std::size_t size) override {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      if (auto ok = check_waiting(); !ok) return ok;
      {
        std::lock_guard lock(m_session->mutex);
        if (!ssh_channel_is_open(m_channel)) return make_error(ErrorKind::remote, "the remote command closed its input");
        const std::uint32_t window = ssh_channel_window_size(m_channel);
        if (window > 0) {
          // Writing no more than the window never blocks on the peer, so the reader thread can
          // always get the mutex back quickly.
          const auto chunk = static_cast<std::uint32_t>(std::min<std::size_t>({size, window, 1 << 20}));
          const int n = ssh_channel_write(m_channel, p, chunk);
          if (n == SSH_ERROR) return ssh_failure(ErrorKind::network, "writing to " + m_session->description, m_session->handle);
          if (n > 0) note_progress();
          p += n;
          size -= static_cast<std::size_t>(n);
          continue;
        }
        // Window exhausted: process incoming packets so a window adjust can arrive.
        if (ssh_channel_poll(m_channel, 0) == SSH_ERROR) {
          return ssh_failure(ErrorKind::network, "waiting on " + m_session->description, m_session->handle);
        }
        m_session->maybe_keepalive();
      }
      m_session->wait_readable();
    }
    return {};
  }

  void close_write() override {
    std::lock_guard lock(m_session->mutex);
    if (!m_eof_sent && ssh_channel_is_open(m_channel)) ssh_channel_send_eof(m_channel);
    m_eof_sent = true;
  }

  Result<int> wait() override {
    close_write();
    // Drain what is left so the exit status can arrive behind it.
    char sink[16384];
    for (;;) {
      auto n = read_some(sink, sizeof sink);
      if (!n) return n.error();
      if (*n == 0) break;
    }
    std::lock_guard lock(m_session->mutex);
    drain_stderr();
    const int status = ssh_channel_get_exit_status(m_channel);
    return status < 0 ? 255 : status;
  }

  std::string stderr_tail() const override {
    std::lock_guard lock(m_session->mutex);
    return m_stderr.text();
  }

 private:
  // With the mutex held.
  void drain_stderr() {
    char buffer[4096];
    for (;;) {
      const int n = ssh_channel_read_nonblocking(m_channel, buffer, sizeof buffer, 1);
      if (n <= 0) return;
      m_stderr.append(buffer, static_cast<std::size_t>(n));
    }
  }

  std::shared_ptr<Session> m_session;
  ssh_channel m_channel;
  bool m_eof_sent = false;
  StderrTail m_stderr;
};

class SshTransport final : public Transport {
 public:
  explicit SshTransport(std::shared_ptr<Session> session) : m_session(std::move(session)) {}

  Result<std::unique_ptr<Stream>> exec(const std::vector<std::string>& argv) override {
    std::lock_guard lock(m_session->mutex);
    ssh_channel channel = ssh_channel_new(m_session->handle);
    if (!channel) return ssh_failure(ErrorKind::network, "opening a channel to " + m_session->description, m_session->handle);
    if (ssh_channel_open_session(channel) != SSH_OK) {
      ssh_channel_free(channel);
      return ssh_failure(ErrorKind::network, "opening a session on " + m_session->description, m_session->handle);
    }
    const std::string command = shell_join(argv);
    if (ssh_channel_request_exec(channel, command.c_str()) != SSH_OK) {
      ssh_channel_close(channel);
      ssh_channel_free(channel);
      return ssh_failure(ErrorKind::remote, "running '" + command + "' on " + m_session->description, m_session->handle);
    }
    spdlog::debug("ssh {}: started {}", m_session->description, command);
    return std::unique_ptr<Stream>(std::make_unique<SshStream>(m_session, channel));
  }

  std::string describe() const override { return m_session->description; }

 private:
  std::shared_ptr<Session> m_session;
};


void set_dead_peer_detection(int fd, int timeout_s) {
  const int on = 1;
  const int idle = std::max(1, timeout_s / 3);
  const int interval = std::max(1, timeout_s / 6);
  const int count = 3;
  const unsigned user_timeout_ms = static_cast<unsigned>(timeout_s) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

Status check_host_key(ssh_session session, const std::string& description, const std::string& known_hosts,
                      HostKeyPolicy policy) {
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
      return {};
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      return make_error(ErrorKind::protocol, "the host key of " + description + " differs from the one pinned in " +
                                                 known_hosts +
                                                 ": refusing to connect (someone may be intercepting the connection; "
                                                 "if the host was really re-installed, remove its line from that file)");
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
      if (policy == HostKeyPolicy::strict) {
        return make_error(ErrorKind::auth, "the host key of " + description + " is not in " + known_hosts);
      }
      if (ssh_session_update_known_hosts(session) != SSH_OK) {
        return ssh_failure(ErrorKind::io, "recording the host key of " + description + " in " + known_hosts, session);
      }
      spdlog::info("ssh: pinned the host key of {} in {}", description, known_hosts);
      return {};
    case SSH_KNOWN_HOSTS_ERROR:
      break;
  }
  return ssh_failure(ErrorKind::io, "checking the host key of " + description, session);
}

Status authenticate(ssh_session session, const std::string& description, const std::string& identity) {
  if (identity.empty()) {
    if (ssh_userauth_publickey_auto(session, nullptr, nullptr) == SSH_AUTH_SUCCESS) return {};
    return make_error(ErrorKind::auth, "no key from ssh-agent or ~/.ssh was accepted by " + description +
                                           " (give one with -i KEY)");
  }
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_file(identity.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
    return make_error(ErrorKind::auth, "cannot load the private key " + identity +
                                           " (missing, unreadable, or protected by a passphrase: use ssh-agent)");
  }
  const int result = ssh_userauth_publickey(session, nullptr, key);
  ssh_key_free(key);
  if (result != SSH_AUTH_SUCCESS) {
    return make_error(ErrorKind::auth, description + " refused the key " + identity);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Transport>> connect(const SshAddress& address, const Options& options) {
  auto session = std::make_shared<Session>();
  session->description = address.describe();
  session->handle = ssh_new();
  if (!session->handle) return make_error(ErrorKind::internal, "ssh_new failed");
  ssh_session s = session->handle;
  const std::string known_hosts = options.known_hosts.empty() ? user_ssh_known_hosts().string() : options.known_hosts;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(known_hosts).parent_path(), ec);
  const int port = address.port;
  const long timeout = options.connect_timeout_s;
  const int nodelay = 1;
  const bool process_config = false;  // behave the same on every machine; choline passes what it needs
  ssh_options_set(s, SSH_OPTIONS_HOST, address.host.c_str());
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  if (!address.user.empty()) ssh_options_set(s, SSH_OPTIONS_USER, address.user.c_str());
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, known_hosts.c_str());
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
  ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay);
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config);
  // AES-GCM first: x86 hosts encrypt it in hardware, and bulk sync is bound by the cipher.
  const char* ciphers = "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr";
  ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, ciphers);
  ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, ciphers);
  if (ssh_connect(s) != SSH_OK) return ssh_failure(ErrorKind::network, "cannot connect to " + session->description, s);
  set_dead_peer_detection(ssh_get_fd(s), options.dead_peer_timeout_s);
  if (auto ok = check_host_key(s, session->description, known_hosts, options.policy); !ok) return ok.error();
  if (auto ok = authenticate(s, session->description, options.identity); !ok) return ok.error();
  spdlog::debug("ssh: connected to {}", session->description);
  return std::unique_ptr<Transport>(std::make_unique<SshTransport>(std::move(session)));
}

}  // namespace choline::ssh
