#include <choline/agent/reach.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace choline::agent {

Status listen_for_probes(const std::vector<int>& ports, int seconds, std::istream& input, std::ostream& out) {
  std::vector<int> fds;
  const auto close_all = [&] {
    for (int fd : fds) ::close(fd);
  };
  for (int port : ports) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      close_all();
      return make_error(ErrorKind::io, std::string("socket: ") + std::strerror(errno));
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 16) != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      close_all();
      return make_error(ErrorKind::remote, "node 0 cannot listen on port " + std::to_string(port) + ": " + why);
    }
    fds.push_back(fd);
  }
  out << "listening" << std::endl;
  // Until the laptop closes our input (the probe is over) or the time is up.
  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::string line;
    while (std::getline(input, line)) {
    }
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    std::vector<pollfd> polled;
    for (int fd : fds) polled.push_back({fd, POLLIN, 0});
    if (::poll(polled.data(), polled.size(), 100) <= 0) continue;
    for (const auto& p : polled) {
      if (p.revents & POLLIN) {
        const int client = ::accept4(p.fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (client >= 0) ::close(client);
      }
    }
  }
  close_all();
  reader.detach();  // blocked on stdin; the process exits
  return {};
}

std::vector<int> unreachable_ports(const std::string& host, const std::vector<int>& ports, int timeout_ms) {
  std::vector<int> missed;
  for (int port : ports) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    bool reached = false;
    if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) == 0 && found) {
      const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd >= 0) {
        const int rc = ::connect(fd, found->ai_addr, found->ai_addrlen);
        pollfd p{fd, POLLOUT, 0};
        if (rc == 0 || (errno == EINPROGRESS && ::poll(&p, 1, timeout_ms) == 1)) {
          int error = 0;
          socklen_t len = sizeof error;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
          reached = error == 0;
        }
        ::close(fd);
      }
      ::freeaddrinfo(found);
    }
    if (!reached) missed.push_back(port);
  }
  return missed;
}

}  // namespace choline::agent
