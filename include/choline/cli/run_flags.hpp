#pragma once
// The options train and resume share (GPU spec, provider, limits), declared once on CLI11 and
// turned into RunOptions with choline.json underneath.

#include <choline/cli/command.hpp>
#include <choline/run/run_commands.hpp>
#include <choline/spec/run_options.hpp>

#include <map>

namespace choline::cli {

// Declares --gpus, --nodes, --provider, --image, --python, --checkpoint-dir, --max-price and
// --max-restarts on `app`, writing into `flags`.
void define_run_flags(CLI::App& app, spec::RunFlags& flags);

// --show-metrics: the live view also shows the workers' `choline-metrics:` lines.
void define_view_flags(CLI::App& app, run::LiveView& view);

// The values of the named environment variables on this machine; names that are unset are
// skipped with a warning.
std::map<std::string, std::string> forwarded_env(const std::vector<std::string>& names);

// What the commands that drive a run want done along the way (model cards beside every
// checkpoint that comes home).
run::RunHooks run_hooks();

// Loads the project's config (or --config) and resolves it with `flags` and the environment.
Result<spec::RunOptions> resolve_for_project(const GlobalOptions& global, const spec::RunFlags& flags);

}  // namespace choline::cli
