#include <choline/cli/app.hpp>

#include <choline/cli/command.hpp>
#include <choline/spec/gpu_spec.hpp>
#include <choline/util/interrupt.hpp>
#include <choline/util/log.hpp>
#include <choline/util/process.hpp>
#include <choline/util/progress.hpp>
#include <choline/version.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

namespace choline {

namespace {

constexpr const char* k_description =
    "choline trains neural networks on rented GPUs: it rents machines, syncs your code, runs\n"
    "distributed data-parallel training on every GPU, streams logs and checkpoints back, and\n"
    "replaces hosts that die.\n\n"
    "  choline train tr.py --4x3090          train tr.py on one host with four RTX 3090s\n"
    "  choline train tr.py --2xcpu           the same on this machine's CPU (no account needed)\n"
    "  choline logs -f                       follow the latest run's logs from any terminal\n";

constexpr const char* k_footer =
    "Configuration: choline.json in the project directory sets defaults for every train option;\n"
    "flags override it. Run 'choline COMMAND --help' for a command's options.\n"
    "Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted.";

int print_error(std::ostream& err, const Error& error) {
  err << "choline: error: " << error.message << "\n";
  return exit_code_for(error.kind);
}

// Splits at the first `--`: what follows belongs to the user's program, never to CLI11.
std::pair<std::vector<std::string>, std::vector<std::string>> split_passthrough(const std::vector<std::string>& args) {
  const auto separator = std::find(args.begin(), args.end(), "--");
  if (separator == args.end()) return {args, {}};
  return {std::vector<std::string>(args.begin(), separator), std::vector<std::string>(separator + 1, args.end())};
}

}  // namespace

int run_with_table(const std::vector<cli::CommandInfo>& table, const std::vector<std::string>& args, std::ostream& out,
                   std::ostream& err) {
  auto [head, passthrough] = split_passthrough(args);
  auto rewritten = spec::rewrite_spec_flags(head);
  if (!rewritten) return print_error(err, rewritten.error());

  cli::GlobalOptions global;
  CLI::App app(k_description, "choline");
  app.footer(k_footer);
  app.set_version_flag("--version", std::string("choline ") + version());
  app.require_subcommand(1);
  auto* verbose = app.add_flag("-v,--verbose", global.verbose, "Log debug detail to stderr");
  app.add_flag("-q,--quiet", global.quiet, "No progress lines or info messages (warnings and errors are still shown)")
      ->excludes(verbose);
  app.add_option("-C,--project", global.project_dir, "Project directory (holds choline.json and .choline/)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--config", global.config_path, "Config file to use instead of <project>/choline.json");

  std::vector<std::pair<CLI::App*, std::unique_ptr<cli::Command>>> commands;
  for (const auto& info : table) {
    CLI::App* sub = app.add_subcommand(info.name, info.summary);
    if (info.details && *info.details) sub->footer(info.details);
    if (info.hidden) sub->group("");
    auto command = info.make();
    command->define(*sub);
    commands.emplace_back(sub, std::move(command));
  }

  std::vector<std::string> argv_storage{"choline"};
  argv_storage.insert(argv_storage.end(), rewritten->begin(), rewritten->end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, out, err);
  } catch (const CLI::RequiredError& e) {
    if (args.empty()) {
      out << app.help();
      return 2;
    }
    err << "choline: error: " << e.what() << "\nRun 'choline --help' for usage.\n";
    return 2;
  } catch (const CLI::ParseError& e) {
    err << "choline: error: " << e.what() << "\nRun 'choline --help' for usage.\n";
    return 2;
  }

  for (auto& [sub, command] : commands) {
    if (!sub->parsed()) continue;
    if (!passthrough.empty() && !command->accepts_passthrough()) {
      return print_error(err, make_error(ErrorKind::usage, std::string("'choline ") + sub->get_name() +
                                                               "' takes no arguments after '--'"));
    }
    util::init_logging(global.verbose, global.quiet);
    util::configure_progress(global.quiet);
    cli::CommandContext context{global, passthrough, out, err};
    auto code = command->run(context);
    if (!code) return print_error(err, code.error());
    return *code;
  }
  return print_error(err, make_error(ErrorKind::usage, "no command given; run 'choline --help'"));
}

int app_main_with(const std::vector<cli::CommandInfo>& table, int argc, char** argv) {
  util::install_interrupt_handler();
  util::remember_argv0(argc > 0 ? argv[0] : "");
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return run_with_table(table, args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    // Exceptions are bugs or misconfiguration by design; this is the only place they are caught.
    std::cerr << "choline: error: internal: " << e.what() << "\n";
    return 1;
  }
}

namespace cli {
Error not_built_yet(const std::string& what) {
  return make_error(ErrorKind::unsupported, what + " is not built yet in this version of choline");
}
}  // namespace cli

}  // namespace choline
