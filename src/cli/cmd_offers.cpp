#include <choline/cli/command.hpp>
#include <choline/cli/run_flags.hpp>

#include <choline/providers/ranking.hpp>
#include <choline/providers/registry.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <future>
#include <ostream>

namespace choline::cli {

namespace {

// `--provider all` asks every marketplace.
const std::vector<std::string> k_marketplaces = {"vast", "runpod", "lambda"};

class OffersCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    define_run_flags(app, m_flags);
    app.add_flag("--json", m_json, "Print offers as JSON on stdout");
    app.add_flag("--interruptible", m_interruptible, "Price interruptible (spot/bid) machines where the provider has them");
    app.add_option("--min-reliability", m_min_reliability, "Leave out machines rated below this (0..1, default 0.9)")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--limit", m_limit, "Show at most this many offers")->check(CLI::Range(1, 1000));
  }

  Result<int> run(CommandContext& context) override {
    std::vector<std::string> names;
    spec::RunFlags flags = m_flags;
    if (flags.provider && *flags.provider == "all") {
      names = k_marketplaces;
      flags.provider = names.front();
    }
    auto options = resolve_for_project(context.global, flags);
    if (!options) return std::move(options).error();
    if (names.empty()) names.push_back(options->provider);

    // Every provider at once; one that fails is a warning while others answer.
    std::vector<std::future<Result<std::vector<providers::Offer>>>> answers;
    for (const auto& name : names) {
      spec::RunOptions mine = *options;
      mine.provider = name;
      answers.push_back(std::async(std::launch::async, [mine]() -> Result<std::vector<providers::Offer>> {
        auto provider = providers::make_provider(mine);
        if (!provider) return provider.error();
        return (*provider)->offers(mine.spec);
      }));
    }
    std::vector<providers::Offer> all;
    std::optional<Error> failure;
    int answered = 0;
    for (std::size_t i = 0; i < answers.size(); ++i) {
      auto offers = answers[i].get();
      if (!offers) {
        if (names.size() == 1) return std::move(offers).error();
        spdlog::warn("{}: {}", names[i], offers.error().message);
        failure = offers.error();
        continue;
      }
      ++answered;
      for (auto& offer : *offers) {
        offer.interruptible = offer.interruptible || m_interruptible;
        all.push_back(std::move(offer));
      }
    }
    if (answered == 0 && failure) return *failure;

    providers::RankCriteria criteria;
    criteria.max_price_per_gpu = options->max_price;
    criteria.min_reliability = m_min_reliability;
    criteria.nodes = options->spec.nodes;
    auto list = providers::rank_offers(std::move(all), criteria);
    if (list.size() > static_cast<std::size_t>(m_limit)) list.resize(static_cast<std::size_t>(m_limit));
    if (m_json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& o : list) {
        out.push_back({{"provider", o.provider},
                       {"id", o.id},
                       {"machine", o.machine},
                       {"gpu", o.gpu},
                       {"gpus", o.gpus},
                       {"price_per_hour", providers::effective_price(o)},
                       {"gpu_price_per_hour", o.price_per_hour},
                       {"price_per_gpu_hour", providers::price_per_gpu(o)},
                       {"storage_per_hour", o.storage_per_hour},
                       {"reliability", o.reliability},
                       {"inet_down_mbps", o.inet_down_mbps},
                       {"inet_up_mbps", o.inet_up_mbps},
                       {"location", o.location}});
      }
      context.out << out.dump(2) << "\n";
      return 0;
    }
    if (list.empty()) {
      context.out << "no offers for " << options->spec.describe() << " from " << fmt::format("{}", fmt::join(names, ", ")) << "\n";
      return 0;
    }
    context.out << fmt::format("{:<8} {:<26} {:<24} {:>4} {:>8} {:>9} {:>7} {:>8}  {}\n", "PROVIDER", "OFFER", "GPU", "GPUS",
                               "$/HOUR", "$/GPU-H", "RELIAB", "NET MB/S", "LOCATION");
    for (const auto& o : list) {
      context.out << fmt::format("{:<8} {:<26} {:<24} {:>4} {:>8.3f} {:>9.3f} {:>7.3f} {:>8.0f}  {}\n", o.provider, o.id,
                                 o.gpu.substr(0, 24), o.gpus, providers::effective_price(o), providers::price_per_gpu(o),
                                 o.reliability, o.inet_down_mbps, o.location);
    }
    return 0;
  }

 private:
  spec::RunFlags m_flags;
  bool m_json = false;
  bool m_interruptible = false;
  double m_min_reliability = providers::k_default_min_reliability;
  int m_limit = 20;
};

}  // namespace

std::unique_ptr<Command> make_offers_command() { return std::make_unique<OffersCommand>(); }

}  // namespace choline::cli
