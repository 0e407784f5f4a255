#pragma once
// Ctrl-C handling: the signal handler only sets a flag; long-running loops poll it and return an
// `interrupted` error, so cleanup (journal writes, releasing hosts) runs in ordinary code.

namespace choline::util {

// Installs SIGINT/SIGTERM handlers that set the flag. Idempotent.
void install_interrupt_handler();

bool interrupt_requested();

// For tests and for commands that handled one interrupt and go on (e.g. "detach or stop?").
void clear_interrupt();

}  // namespace choline::util
