// `choline stop SWEEP` (sweep_stop.hpp).
#include <choline/sweep/sweep_stop.hpp>

#include <choline/providers/registry.hpp>
#include <choline/records/paths.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/run_commands.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

namespace choline::sweep {

namespace {

// How long `choline stop` waits for the driving process to stop its trials and release.
inline constexpr auto k_driver_stop_wait = std::chrono::minutes(10);

}  // namespace

int sweep_driver_pid(const records::SweepRecord& sweep) {
  auto text = util::read_file(sweep.driver_file());
  if (!text) return 0;
  int pid = 0;
  try {
    pid = std::stoi(*text);
  } catch (...) {
    return 0;
  }
  if (pid <= 0) return 0;
  // A recycled pid must be a choline, and one driving a sweep.
  auto cmdline = util::read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline || cmdline->find("sweep") == std::string::npos) return 0;
  return (::kill(pid, 0) == 0 || errno == EPERM) ? pid : 0;
}

Result<int> stop_sweep(records::SweepRecord& sweep, std::ostream& out) {
  if (const int pid = sweep_driver_pid(sweep)) {
    out << "choline: asking the process driving sweep " << sweep.id << " (pid " << pid << ") to stop\n" << std::flush;
    if (auto ok = util::write_file_atomic(sweep.stop_file(), "stop\n"); !ok) return ok.error();
    const auto until = std::chrono::steady_clock::now() + k_driver_stop_wait;
    while (sweep_driver_pid(sweep) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (sweep_driver_pid(sweep)) {
      return make_error(ErrorKind::remote, "sweep " + sweep.id + " did not stop within 10 minutes (pid " +
                                               std::to_string(pid) + "); run choline stop again");
    }
    auto reread = records::load_sweep(sweep.dir);
    if (!reread) return reread.error();
    sweep = std::move(*reread);
  }
  // Nobody drives it (any more): stop its running trials and release what the journal holds.
  int code = 0;
  for (auto& trial : sweep.trials) {
    if (trial.state != records::TrialStatus::running) continue;
    auto run = records::load_run(records::runs_dir(sweep.project_dir) / trial.run_id);
    if (run && !records::is_final(run->state)) {
      auto stopped = run::stop(*run, out);
      if (!stopped) spdlog::error("trial {}: {}", trial.id, stopped.error().message);
    }
    trial.state = records::TrialStatus::queued;
    trial.why = "stopped by choline stop; choline sweep resume goes on from its checkpoint";
  }
  std::unique_ptr<providers::Provider> provider;
  for (auto& host : sweep.hosts) {
    if (!host.released_at.empty()) continue;
    if (!provider) {
      auto made = providers::make_provider(sweep.options);
      if (!made) return made.error();
      provider = std::move(*made);
    }
    if (auto ok = provider->release(host.host); !ok) {
      out << "choline: could not release " << host.host.id << ": " << ok.error().message
          << " (check the provider's console)\n";
      host.release_failed = true;
      code = 1;
      continue;
    }
    host.released_at = util::now_iso8601();
    host.released_because = "choline stop";
    host.release_failed = false;
    out << "choline: released " << host.host.id << "\n";
  }
  if (sweep.state == records::SweepState::running) {
    sweep.state = records::SweepState::stopped;
    sweep.reason = "stopped by choline stop; choline sweep resume " + sweep.id + " goes on";
  }
  if (auto ok = sweep.save(); !ok) return ok.error();
  out << "choline: sweep " << sweep.id << " " << to_string(sweep.state) << "\n";
  return code;
}

}  // namespace choline::sweep
