// The real seams: the provider's sessions, the system clocks, and the terminal's Ctrl-C.
#include <choline/run/seams.hpp>

#include <choline/util/interrupt.hpp>
#include <choline/util/progress.hpp>

#include <unistd.h>
#include <cstdlib>
#include <iostream>
#include <string>

namespace choline::run {

Seams make_seams(providers::Provider& provider, bool may_stop) {
  Seams seams;
  seams.provider = &provider;
  seams.open_host = session_opener(provider);
  seams.color_logs = util::colors_wanted(STDOUT_FILENO);
  if (const char* timeout = std::getenv("CHOLINE_PROVISION_TIMEOUT_S"); timeout && std::atoi(timeout) > 0) {
    seams.provision_timeout = std::chrono::seconds(std::atoi(timeout));
  }
  seams.poll_interrupt = [may_stop]() -> std::optional<bool> {
    if (!util::interrupt_requested()) return std::nullopt;
    util::clear_interrupt();
    if (!may_stop || !::isatty(STDIN_FILENO)) return false;
    std::cerr << "\ncholine: detach (training goes on) or stop (stop workers, release hosts)? [d/s] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return !answer.empty() && (answer[0] == 's' || answer[0] == 'S');
  };
  return seams;
}

}  // namespace choline::run
