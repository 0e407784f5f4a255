#include <choline/cli/command.hpp>
#include <choline/cli/run_flags.hpp>

#include <choline/providers/registry.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ostream>

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
    auto provider = providers::make_provider(*options);
    if (!provider) return std::move(provider).error();
    auto offers = (*provider)->offers(options->spec);
    if (!offers) return std::move(offers).error();
    auto& list = *offers;
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.price_per_hour < b.price_per_hour; });
    if (options->max_price) {
      list.erase(std::remove_if(list.begin(), list.end(),
                                [&](const auto& o) { return o.gpus > 0 && o.price_per_hour / o.gpus > *options->max_price; }),
                 list.end());
    }
    if (list.size() > static_cast<std::size_t>(m_limit)) list.resize(static_cast<std::size_t>(m_limit));
    if (m_json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& o : list) {
        out.push_back({{"provider", o.provider}, {"id", o.id}, {"gpu", o.gpu}, {"gpus", o.gpus},
                       {"price_per_hour", o.price_per_hour}, {"location", o.location}});
      }
      context.out << out.dump(2) << "\n";
      return 0;
    }
    if (list.empty()) {
      context.out << "no " << options->provider << " offers for " << options->spec.describe() << "\n";
      return 0;
    }
    context.out << fmt::format("{:<10} {:<28} {:<12} {:>5} {:>10}  {}\n", "PROVIDER", "ID", "GPU", "GPUS", "$/HOUR", "WHERE");
    for (const auto& o : list) {
      context.out << fmt::format("{:<10} {:<28} {:<12} {:>5} {:>10.3f}  {}\n", o.provider, o.id, o.gpu, o.gpus,
                                 o.price_per_hour, o.location);
    }
    return 0;
  }

 private:
  spec::RunFlags m_flags;
  bool m_json = false;
  int m_limit = 20;
};

}  // namespace

std::unique_ptr<Command> make_offers_command() { return std::make_unique<OffersCommand>(); }

}  // namespace choline::cli
