#pragma once
// A subcommand: it declares its options on a CLI11 subcommand, then runs with what was parsed.
// The table of commands (commands.cpp) is the one list that feeds CLI11 and the help text.

#include <choline/error.hpp>

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace choline::cli {

struct GlobalOptions {
  bool verbose = false;
  bool quiet = false;              // no progress lines or info messages; warnings and errors still shown
  std::string project_dir = ".";  // where choline.json and .choline/ live
  std::string config_path;        // empty: <project_dir>/choline.json
};

struct CommandContext {
  GlobalOptions global;
  std::vector<std::string> passthrough;  // everything after a `--` separator, verbatim
  std::ostream& out;                     // program output: tables, --json
  std::ostream& err;                     // human messages beyond the log
};

class Command {
 public:
  virtual ~Command() = default;
  // Declares options and positionals on `app` (the subcommand).
  virtual void define(CLI::App& app) = 0;
  // Runs after a successful parse. Returns the process exit code, or an Error that app_main
  // prints and maps to one.
  virtual Result<int> run(CommandContext& context) = 0;
  // Whether this command takes arguments after `--`.
  virtual bool accepts_passthrough() const { return false; }
};

struct CommandInfo {
  const char* name;
  const char* summary;    // one line, shown in `choline --help`
  const char* details;    // the rest of the subcommand's help (footer)
  bool hidden;            // internal commands (the agent) stay out of `choline --help`
  std::function<std::unique_ptr<Command>()> make;
};

const std::vector<CommandInfo>& command_table();

// Factories, one per file in src/cli/.
std::unique_ptr<Command> make_train_command();
std::unique_ptr<Command> make_resume_command();
std::unique_ptr<Command> make_logs_command();
std::unique_ptr<Command> make_status_command();
std::unique_ptr<Command> make_stop_command();
std::unique_ptr<Command> make_offers_command();
std::unique_ptr<Command> make_sync_command();
std::unique_ptr<Command> make_init_command();
std::unique_ptr<Command> make_agent_command();
std::unique_ptr<Command> make_metrics_command();
std::unique_ptr<Command> make_card_command();
std::unique_ptr<Command> make_report_command();
std::unique_ptr<Command> make_data_command();
std::unique_ptr<Command> make_sweep_command();

// The error a command returns for a part that a later milestone delivers.
Error not_built_yet(const std::string& what);

}  // namespace choline::cli
