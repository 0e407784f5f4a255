#include <choline/cli/command.hpp>
#include <choline/cli/run_flags.hpp>

#include <CLI/CLI.hpp>

namespace choline::cli {

namespace {

class OffersCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    define_run_flags(app, m_flags);
    app.add_flag("--json", m_json, "Print offers as JSON on stdout");
    app.add_option("--limit", m_limit, "Show at most this many offers")->check(CLI::Range(1, 1000));
  }
  Result<int> run(CommandContext& context) override {
    auto options = resolve_for_project(context.global, m_flags);
    if (!options) return std::move(options).error();
    return not_built_yet("listing offers of provider '" + options->provider + "'");
  }

 private:
  spec::RunFlags m_flags;
  bool m_json = false;
  int m_limit = 20;
};

}  // namespace

std::unique_ptr<Command> make_offers_command() { return std::make_unique<OffersCommand>(); }

}  // namespace choline::cli
