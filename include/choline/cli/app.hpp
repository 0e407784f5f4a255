#pragma once
// The program's entry point, and the one place where exceptions are caught.

#include <choline/cli/command.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace choline {

// Runs one command line against a table of commands: the full choline has every command, the
// static agent only `agent`.
int run_with_table(const std::vector<cli::CommandInfo>& table, const std::vector<std::string>& args, std::ostream& out,
                   std::ostream& err);

// Installs logging and signal handling, runs argv against `table`, catches what escapes.
int app_main_with(const std::vector<cli::CommandInfo>& table, int argc, char** argv);

// The real entry point: installs logging and signal handling, then runs the command line.
int app_main(int argc, char** argv);

// Parses and runs one command line (args without the program name), writing program output to
// `out` and messages to `err`. Returns the exit code: 0 ok, 1 failure, 2 usage, 130 interrupted.
int run_command_line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace choline
