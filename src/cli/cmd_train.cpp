#include <choline/cli/command.hpp>
#include <choline/cli/run_flags.hpp>
#include <choline/run/run_commands.hpp>
#include <choline/spec/job.hpp>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <filesystem>
#include <ostream>

namespace choline::cli {

namespace {

namespace fs = std::filesystem;

// Looks at the entry on disk: only files inside the project reach the hosts.
spec::EntryKind classify_entry(const fs::path& project_dir, const std::string& entry) {
  const fs::path path = project_dir / entry;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return spec::EntryKind::missing;
  const fs::path root = fs::weakly_canonical(project_dir, ec);
  const fs::path target = fs::weakly_canonical(path, ec);
  const auto relative = target.lexically_relative(root);
  if (relative.empty() || *relative.begin() == "..") return spec::EntryKind::outside_project;
  if (path.extension() == ".py") return spec::EntryKind::python_script;
  return ::access(path.c_str(), X_OK) == 0 ? spec::EntryKind::executable : spec::EntryKind::not_executable;
}

class TrainCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("ENTRY", m_entry, "Script or executable to run on every worker");
    app.add_flag("--dry-run", m_dry_run, "Print the resolved plan as JSON and exit without renting anything");
    define_run_flags(app, m_flags);
    define_view_flags(app, m_view);
    // Words after ENTRY that are not choline options belong to the user's script.
    app.allow_extras();
    m_app = &app;
  }

  bool accepts_passthrough() const override { return true; }

  Result<int> run(CommandContext& context) override {
    auto options = resolve_for_project(context.global, m_flags);
    if (!options) return std::move(options).error();
    const std::vector<std::string> extras = m_app->remaining();
    std::optional<std::string> entry;
    if (!m_entry.empty()) entry = m_entry;
    const spec::EntryKind kind = entry ? classify_entry(context.global.project_dir, *entry) : spec::EntryKind::missing;
    auto job = spec::make_job_command(entry, kind, extras, context.passthrough, options->python);
    if (!job) return std::move(job).error();

    if (m_dry_run) {
      // The dry run refuses what train would refuse before renting (a GPU the provider lacks).
      if (auto ok = run::check_plan(*options); !ok) return ok.error();
      nlohmann::json plan = {{"provider", options->provider},
                             {"gpu", options->spec.gpu},
                             {"gpus_per_host", options->spec.count},
                             {"nodes", options->spec.nodes},
                             {"workers", options->spec.total_workers()},
                             {"command", job->argv},
                             {"checkpoint_dir", options->checkpoint_dir},
                             {"max_restarts", options->max_restarts},
                             {"setup", options->setup},
                             {"env", options->env}};
      if (options->max_price) plan["max_price"] = *options->max_price;
      if (options->max_cost) plan["max_cost"] = *options->max_cost;
      if (!options->image.empty()) plan["image"] = options->image;
      context.out << plan.dump(2) << "\n";
      return 0;
    }
    run::TrainRequest request{context.global.project_dir, *options, *job, forwarded_env(options->env)};
    return run::train(request, context.out, run_hooks(), m_view);
  }

 private:
  std::string m_entry;
  bool m_dry_run = false;
  run::LiveView m_view;
  spec::RunFlags m_flags;
  CLI::App* m_app = nullptr;
};

}  // namespace

std::unique_ptr<Command> make_train_command() {
  return std::make_unique<TrainCommand>();
}

}  // namespace choline::cli
