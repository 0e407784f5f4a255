#pragma once
// The program's entry point, and the one place where exceptions are caught.

#include <iosfwd>
#include <string>
#include <vector>

namespace choline {

// The real entry point: installs logging and signal handling, then runs the command line.
int app_main(int argc, char** argv);

// Parses and runs one command line (args without the program name), writing program output to
// `out` and messages to `err`. Returns the exit code: 0 ok, 1 failure, 2 usage, 130 interrupted.
int run_command_line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace choline
