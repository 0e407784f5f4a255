// The sweep's entry points (executor.hpp); the loop itself is sweep_loop.hpp's.
#include <choline/sweep/executor.hpp>

#include <choline/sweep/command.hpp>

#include "sweep_loop.hpp"

namespace choline::sweep {

Result<std::vector<std::string>> trial_command(const SweepJob& job, const std::string& entry,
                                               const nlohmann::json& params) {
  if (job.config.command.empty()) {
    std::vector<std::string> argv = job.base_argv;
    for (auto& arg : trial_args(params)) argv.push_back(std::move(arg));
    return argv;
  }
  CommandInputs inputs;
  inputs.program = job.config.program.empty() ? entry : job.config.program;
  inputs.python = job.python;
  inputs.params = params;
  return expand_command(job.config.command, inputs);
}

Result<int> run_sweep(records::SweepRecord& sweep, const SweepJob& job, SweepSeams& seams, std::ostream& out) {
  if (!seams.provider) return make_error(ErrorKind::internal, "a sweep needs a provider");
  SweepLoop loop(sweep, job, seams, out);
  return loop.run();
}

}  // namespace choline::sweep
