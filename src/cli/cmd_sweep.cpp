// `choline sweep`: many trials of one script on a pool of hosts (src/sweep/executor.cpp), and
// `sweep status`, `sweep best`, `sweep resume`. The configuration comes from -p flags or a W&B
// sweep file; every problem with it is reported at once, before anything is rented.
#include <choline/cli/command.hpp>
#include <choline/cli/run_flags.hpp>
#include <choline/providers/registry.hpp>
#include <choline/records/sweep_record.hpp>
#include <choline/report/sweep_status.hpp>
#include <choline/run/run_commands.hpp>
#include <choline/run/seams.hpp>
#include <choline/spec/job.hpp>
#include <choline/sweep/command.hpp>
#include <choline/sweep/config.hpp>
#include <choline/sweep/executor.hpp>
#include <choline/sweep/param_flag.hpp>
#include <choline/sweep/ranking.hpp>
#include <choline/sweep/searcher.hpp>
#include <choline/sweep/sweep_stop.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>
#include <choline/util/interrupt.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <ostream>
#include <random>

namespace choline::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// How many trials a sweep runs when neither --trials nor the file's run_cap says.
inline constexpr int k_default_trials = 10;
// Trials shown by --dry-run.
inline constexpr int k_dry_run_trials = 5;

// As train looks at its entry: only files inside the project reach the hosts.
spec::EntryKind sweep_entry_kind(const fs::path& project_dir, const std::string& entry) {
  const fs::path path = project_dir / entry;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return spec::EntryKind::missing;
  const auto relative = fs::weakly_canonical(path, ec).lexically_relative(fs::weakly_canonical(project_dir, ec));
  if (relative.empty() || *relative.begin() == "..") return spec::EntryKind::outside_project;
  if (path.extension() == ".py") return spec::EntryKind::python_script;
  return ::access(path.c_str(), X_OK) == 0 ? spec::EntryKind::executable : spec::EntryKind::not_executable;
}

// The configuration a sweep.json's `source` describes: a file's text, or the flags.
Result<sweep::SweepConfig> config_from_source(const json& source) {
  if (source.value("kind", "") == "file") {
    return sweep::parse_sweep_config(source.value("text", ""), source.value("name", "sweep.yaml"));
  }
  sweep::Problems problems;
  sweep::SweepConfig config;
  const std::string method = source.value("method", "random");
  if (method == "random")
    config.method = sweep::Method::random;
  else if (method == "bayes" || method == "tpe")
    config.method = sweep::Method::bayes;
  else if (method == "grid")
    config.method = sweep::Method::grid;
  else if (method == "pbt")
    config.method = sweep::Method::pbt;
  else
    problems.add("--method", "'" + method + "' is not a method: use random, bayes, grid or pbt");
  std::vector<std::string> flags = source.value("params", std::vector<std::string>{});
  auto space = sweep::parse_param_flags(flags);
  if (!space)
    problems.add("-p", space.error().message);
  else
    config.space = *space;
  const std::string metric = source.value("metric", "");
  if (!metric.empty())
    config.metric = sweep::Metric{
        metric, source.value("maximize", false) ? sweep::Goal::maximize : sweep::Goal::minimize, std::nullopt};
  // PBT replaces poor trials instead of stopping them: no stopper unless one is asked for (which
  // check_sweep_config then refuses).
  const std::string stopper =
      source.value("stopper", metric.empty() || config.method == sweep::Method::pbt ? "none" : "asha");
  if (stopper == "asha")
    config.stopper = sweep::StopperKind::asha;
  else if (stopper == "median")
    config.stopper = sweep::StopperKind::median;
  else if (stopper == "none")
    config.stopper = sweep::StopperKind::none;
  else
    problems.add("--stopper", "'" + stopper + "' is not a stopper: use asha, median or none");
  const std::string resource = source.value("resource", "step");
  if (resource == "step")
    config.resource = sweep::ResourceKind::step;
  else if (resource == "epoch")
    config.resource = sweep::ResourceKind::epoch;
  else
    problems.add("--resource", "'" + resource + "' is not a resource: use step or epoch");
  if (source.contains("grace")) config.asha.grace = source["grace"].get<std::int64_t>();
  if (source.contains("eta")) config.asha.eta = source["eta"].get<double>();
  if (config.asha.grace < 1) problems.add("--grace", "ASHA's first rung must be at least 1");
  if (config.asha.eta <= 1) problems.add("--eta", "ASHA's reduction factor must be above 1");
  if (source.contains("pbt_interval")) config.pbt.interval = source["pbt_interval"].get<std::int64_t>();
  if (source.contains("pbt_interval") && config.method != sweep::Method::pbt)
    problems.add("--pbt-interval", "is for --method pbt");
  if (space) sweep::check_sweep_config(config, problems);
  // The -p flags' own problems are already one error naming each flag.
  if (!space && problems.list().size() == 1) return space.error();
  if (!problems.empty()) return problems.to_error("sweep flags");
  return config;
}

// What `sweep status` and `sweep best` show, with the sweep layer's order and arguments.
report::SweepStatusInputs status_inputs(const records::SweepRecord& sweep) {
  report::SweepStatusInputs inputs{sweep, {}, {}, util::epoch_seconds()};
  std::vector<sweep::TrialScore> scores;
  for (const auto& t : sweep.trials) {
    scores.push_back({t.id, t.best});
    inputs.trial_args[t.id] = sweep::trial_args(t.params);
  }
  for (const auto& score : sweep::rank_trials(scores, sweep.maximize ? sweep::Goal::maximize : sweep::Goal::minimize))
    inputs.best_first.push_back(score.trial_id);
  return inputs;
}

Result<int> show_status(const GlobalOptions& global, const std::string& id, bool as_json, std::ostream& out) {
  auto sweep = records::find_sweep(global.project_dir, id);
  if (!sweep) return sweep.error();
  const auto inputs = status_inputs(*sweep);
  if (as_json)
    out << report::sweep_status_json(inputs).dump(2) << "\n";
  else
    out << report::sweep_status_text(inputs);
  return 0;
}

Result<int> show_best(const GlobalOptions& global, const std::string& id, std::ostream& out) {
  auto sweep = records::find_sweep(global.project_dir, id);
  if (!sweep) return sweep.error();
  auto command = report::best_trial_command(status_inputs(*sweep));
  if (!command) return std::move(command).error();
  out << *command;
  return 0;
}

class SweepCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("ENTRY", m_entry, "Script or executable every trial runs (or the file's `program`)");
    app.add_option("--config", m_config_file, "A W&B sweep configuration file (YAML or JSON) instead of the flags");
    app.add_option("-p,--param", m_params, "A parameter: NAME=SPEC (loguniform:1e-5:1e-1, choice:64,128, int:1:8, ...)")
        ->allow_extra_args(false);
    app.add_option("--metric", m_metric, "The metric of `choline-metrics:` lines that trials are ranked by");
    app.add_flag("--maximize", m_maximize, "A larger metric is better (default: smaller)");
    app.add_option("--method", m_method,
                   "random (default), bayes (TPE), grid, or pbt (population-based training: --trials is the "
                   "population)");
    app.add_option("--stopper", m_stopper, "Early stopping: asha (default with --metric), median or none");
    app.add_option("--resource", m_resource, "What early stopping counts: step (default) or epoch");
    app.add_option("--grace", m_grace, "ASHA's first rung, in resource units (default 1)");
    app.add_option("--eta", m_eta, "ASHA's reduction factor (default 3): the top 1/eta go on at each rung");
    app.add_option("--pbt-interval", m_pbt_interval,
                   "With --method pbt: the resource between checks; the bottom quarter then copies a top trial's "
                   "checkpoint and perturbed parameters");
    app.add_option("--parallel", m_parallel, "Trials at once, each on its own host (default 1)");
    app.add_option("--trials", m_trials, "Trials to run (default: the file's run_cap, else 10)");
    app.add_option("--seed", m_seed, "Seed of the search (default: random; kept in sweep.json)");
    app.add_flag("--dry-run", m_dry_run, "Print the plan and the first trials' parameters, rent nothing");
    define_run_flags(app, m_flags);
    app.allow_extras();
    m_app = &app;

    CLI::App* status = app.add_subcommand("status", "Every trial of a sweep, best first");
    status->add_option("SWEEP", m_target, "Sweep id or a unique part (default: the latest)");
    status->add_flag("--json", m_json, "As JSON");
    m_status = status;
    CLI::App* best = app.add_subcommand("best", "The best trial as a ready choline train command");
    best->add_option("SWEEP", m_target, "Sweep id or a unique part (default: the latest)");
    m_best = best;
    CLI::App* resume = app.add_subcommand("resume", "Go on with a sweep after its driver stopped or died");
    resume->add_option("SWEEP", m_target, "Sweep id or a unique part (default: the latest)");
    m_resume = resume;
  }

  bool accepts_passthrough() const override { return true; }

  Result<int> run(CommandContext& context) override {
    if (m_status->parsed()) return show_status(context.global, m_target, m_json, context.out);
    if (m_best->parsed()) return show_best(context.global, m_target, context.out);
    if (m_resume->parsed()) return resume(context);
    return start(context);
  }

 private:
  Result<int> start(CommandContext& context) {
    auto options = resolve_for_project(context.global, m_flags);
    if (!options) return std::move(options).error();
    // The whole configuration is checked before anything is rented.
    json source;
    if (!m_config_file.empty()) {
      if (!m_params.empty() || !m_metric.empty() || m_method || m_stopper || m_resource || m_grace || m_eta ||
          m_pbt_interval) {
        return make_error(ErrorKind::usage,
                          "--config takes the sweep from the file: leave out -p, --metric, --method, --stopper, "
                          "--resource, --grace, --eta and --pbt-interval (or put them in the file)");
      }
      auto text = util::read_file(m_config_file);
      if (!text)
        return make_error(ErrorKind::usage, "cannot read sweep file " + m_config_file + ": " + text.error().message);
      source = {{"kind", "file"}, {"name", fs::path(m_config_file).filename().string()}, {"text", *text}};
    } else {
      if (m_params.empty()) {
        return make_error(ErrorKind::usage,
                          "a sweep needs parameters: -p NAME=SPEC (e.g. -p lr=loguniform:1e-5:1e-1), or --config FILE");
      }
      source = {{"kind", "flags"}, {"params", m_params}, {"metric", m_metric}, {"maximize", m_maximize}};
      if (m_method) source["method"] = *m_method;
      if (m_stopper) source["stopper"] = *m_stopper;
      if (m_resource) source["resource"] = *m_resource;
      if (m_grace) source["grace"] = *m_grace;
      if (m_eta) source["eta"] = *m_eta;
      if (m_pbt_interval) source["pbt_interval"] = *m_pbt_interval;
    }
    auto config = config_from_source(source);
    if (!config) return std::move(config).error();
    std::string entry = m_entry.empty() ? config->program : m_entry;
    if (entry.empty()) {
      return make_error(ErrorKind::usage,
                        "no script to sweep: give ENTRY (choline sweep tr.py ...) or `program` in the file");
    }
    if (config->metric == std::nullopt) {
      return make_error(ErrorKind::usage,
                        "a sweep needs a metric to rank trials by: --metric NAME (or metric.name in the file)");
    }
    auto job = spec::make_job_command(entry, sweep_entry_kind(context.global.project_dir, entry), m_app->remaining(),
                                      context.passthrough, options->python);
    if (!job) return std::move(job).error();
    source["base_argv"] = job->argv;
    source["python"] = options->python;
    if (m_parallel < 1) return make_error(ErrorKind::usage, "--parallel must be at least 1");
    const int trials = m_trials ? *m_trials : config->run_cap ? static_cast<int>(*config->run_cap) : k_default_trials;
    if (trials < 1) return make_error(ErrorKind::usage, "--trials must be at least 1");
    const std::uint64_t seed = m_seed ? *m_seed : std::random_device{}();

    // A shape the provider can never serve is refused before the sweep exists, as train does.
    if (auto ok = run::check_plan(*options); !ok) return ok.error();
    if (m_dry_run) return dry_run(*config, *options, *job, entry, trials, seed, context.out);

    records::SweepRecord record;
    record.id = records::new_sweep_id(entry);
    record.project_dir = fs::absolute(context.global.project_dir).lexically_normal().string();
    record.source = source;
    record.entry = entry;
    record.options = *options;
    record.max_cost = options->max_cost;
    record.options.max_cost.reset();
    record.parallel = m_parallel;
    record.max_trials = trials;
    record.seed = seed;
    record.metric = config->metric->name;
    record.maximize = config->goal() == sweep::Goal::maximize;
    auto created = records::create_sweep(context.global.project_dir, record);
    if (!created) return std::move(created).error();
    context.out << "choline: sweep " << created->id << ": " << trials << " trials, " << m_parallel << " at once, "
                << sweep::to_string(config->method) << " search, " << sweep::to_string(config->stopper)
                << " stopping on " << record.metric << " (" << sweep::to_string(config->goal()) << ")\n";
    return drive(*created, *config, context);
  }

  Result<int> dry_run(const sweep::SweepConfig& config, const spec::RunOptions& options, const spec::JobCommand& job,
                      const std::string& entry, int trials, std::uint64_t seed, std::ostream& out) {
    sweep::SweepJob sweep_job{config, job.argv, options.python, {}};
    auto searcher = sweep::make_searcher(config, seed);
    json first = json::array();
    for (int id = 1; id <= std::min(trials, k_dry_run_trials); ++id) {
      auto params = searcher->ask(id);
      if (!params) break;
      auto argv = sweep::trial_command(sweep_job, entry, *params);
      if (!argv) return argv.error();
      first.push_back({{"trial", id}, {"params", *params}, {"command", *argv}});
    }
    json plan = {{"provider", options.provider},
                 {"gpu", options.spec.gpu},
                 {"gpus_per_host", options.spec.count},
                 {"nodes_per_trial", options.spec.nodes},
                 {"parallel", m_parallel},
                 {"hosts", m_parallel * std::max(1, options.spec.nodes)},
                 {"trials", trials},
                 {"method", sweep::to_string(config.method)},
                 {"stopper", sweep::to_string(config.stopper)},
                 {"metric", config.metric ? config.metric->name : ""},
                 {"goal", sweep::to_string(config.goal())},
                 {"resource", sweep::to_string(config.resource)},
                 {"seed", seed},
                 {"first_trials", first},
                 {"notes", config.notes}};
    if (options.max_cost) plan["max_cost"] = *options.max_cost;
    if (config.method == sweep::Method::pbt) {
      plan["pbt"] = {{"interval", config.pbt.interval},
                     {"quantile", config.pbt.quantile},
                     {"resample_probability", config.pbt.resample_probability},
                     {"factors", config.pbt.factors},
                     {"burn_in", config.pbt.burn_in}};
      if (m_parallel < trials) {
        plan["notes"].push_back("pbt with --parallel " + std::to_string(m_parallel) + " below the population of " +
                                std::to_string(trials) +
                                ": members run in turns, and a later one is ranked against the finished ones");
      }
    }
    out << plan.dump(2) << "\n";
    return 0;
  }

  Result<int> resume(CommandContext& context) {
    auto sweep = records::find_sweep(context.global.project_dir, m_target);
    if (!sweep) return sweep.error();
    if (const int pid = sweep::sweep_driver_pid(*sweep)) {
      return make_error(ErrorKind::usage, "sweep " + sweep->id + " is being driven by pid " + std::to_string(pid) +
                                              " (choline stop " + sweep->id + " stops it)");
    }
    const bool open = std::any_of(sweep->trials.begin(), sweep->trials.end(),
                                  [](const records::TrialRecord& t) { return !records::is_final(t.state); });
    if (sweep->state == records::SweepState::finished && !open) {
      context.out << "choline: sweep " << sweep->id << " already finished; nothing to resume\n";
      return 0;
    }
    auto config = config_from_source(sweep->source);
    if (!config) return std::move(config).error();
    sweep->state = records::SweepState::running;
    sweep->reason.clear();
    std::error_code ec;
    fs::remove(sweep->stop_file(), ec);
    if (auto ok = sweep->save(); !ok) return ok.error();
    context.out << "choline: resuming sweep " << sweep->id << "\n";
    return drive(*sweep, *config, context);
  }

  Result<int> drive(records::SweepRecord& record, const sweep::SweepConfig& config, CommandContext& context) {
    auto provider = providers::make_provider(record.options);
    if (!provider) return std::move(provider).error();
    const run::Seams run_seams = run::make_seams(**provider);
    sweep::SweepSeams seams;
    seams.provider = provider->get();
    seams.open_host = run_seams.open_host;
    const fs::path stop_file = record.stop_file();
    // The sweep latches a stop once heard; Ctrl-C's flag is cleared then, or the transfers that
    // pull the stopped trials' checkpoints home would take it as their own interruption.
    seams.stop_requested = [stop_file] {
      if (util::interrupt_requested()) {
        util::clear_interrupt();
        return true;
      }
      std::error_code ec;
      return fs::exists(stop_file, ec);
    };
    seams.hooks = run_hooks();
    sweep::SweepJob job{config, record.source.value("base_argv", std::vector<std::string>{}),
                        record.source.value("python", std::string("python3")), forwarded_env(record.options.env)};
    return sweep::run_sweep(record, job, seams, context.out);
  }

  std::string m_entry;
  std::string m_config_file;
  std::vector<std::string> m_params;
  std::string m_metric;
  bool m_maximize = false;
  std::optional<std::string> m_method;
  std::optional<std::string> m_stopper;
  std::optional<std::string> m_resource;
  std::optional<std::int64_t> m_grace;
  std::optional<double> m_eta;
  std::optional<std::int64_t> m_pbt_interval;
  int m_parallel = 1;
  std::optional<int> m_trials;
  std::optional<std::uint64_t> m_seed;
  bool m_dry_run = false;
  spec::RunFlags m_flags;
  std::string m_target;
  bool m_json = false;
  CLI::App* m_app = nullptr;
  CLI::App* m_status = nullptr;
  CLI::App* m_best = nullptr;
  CLI::App* m_resume = nullptr;
};

}  // namespace

std::unique_ptr<Command> make_sweep_command() {
  return std::make_unique<SweepCommand>();
}

}  // namespace choline::cli
