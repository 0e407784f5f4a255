// The static agent: the `agent` verbs alone, linked with -static so it runs on any x86_64 Linux
// image whatever its glibc. The choline binary embeds it and installs it on hosts.
#include <choline/cli/app.hpp>

int main(int argc, char** argv) {
  static const std::vector<choline::cli::CommandInfo> table = {
      {"agent", "The program choline runs on each host", "", false, choline::cli::make_agent_command},
  };
  return choline::app_main_with(table, argc, argv);
}
