// Following a running attempt (the Follow action) and bringing checkpoints home.
#include "execution.hpp"

#include <choline/records/checkpoint_index.hpp>
#include <choline/records/checkpoint_names.hpp>
#include <choline/records/cost.hpp>
#include <choline/run/cost_policy.hpp>
#include <choline/run/watch.hpp>

#include <spdlog/spdlog.h>

namespace choline::run {

Event follow(Execution& run) {
  records::RunRecord& record = run.record;
  std::vector<WatchedHost> hosts;
  for (int node = 0; node < run.nodes(); ++node) {
    if (const records::HostRecord* host = record.current_host(node))
      hosts.push_back({node, &run.control(node), host->log_base});
  }
  WatchSettings settings;
  settings.clock = run.seams.clock;
  settings.poll_every = run.seams.poll_every;
  settings.pull_every = run.seams.checkpoint_pull_every;
  settings.host_timeout_s = record.options.host_timeout_s;
  settings.poll_interrupt = run.seams.poll_interrupt;
  settings.poll_stop = run.seams.poll_stop;
  settings.pull_checkpoints = [&run] { pull_checkpoints(run); };
  if (record.options.max_cost) {
    settings.cost_limit_reached = [&run] {
      std::lock_guard lock(run.record_mutex);
      return cost_limit_reached(records::cost_of(run.record, run.seams.wall_clock()), run.record.options.max_cost);
    };
  }
  settings.dead_host = [&run]() -> std::optional<int> {
    for (int node = 0; node < run.nodes(); ++node) {
      const records::HostRecord* host = run.record.current_host(node);
      if (!host) continue;
      auto status = run.pool.status(host->host);
      if (status && *status == providers::HostStatus::gone) return node;
    }
    return std::nullopt;
  };
  return watch_hosts(hosts, run.sink(), settings);
}

void pull_checkpoints(Execution& run) {
  records::RunRecord& record = run.record;
  if (!record.current_host(0)) return;
  auto pulled =
      run.control(0).pull(record.options.checkpoint_dir, record.checkpoints_dir(), records::checkpoint_pull_ignore());
  if (pulled && pulled->files_transferred > 0) {
    spdlog::info("pulled {} checkpoint file(s) into {}", pulled->files_transferred, record.checkpoints_dir().string());
    if (auto ok = records::record_checkpoints(record); !ok) spdlog::warn("checkpoints: {}", ok.error().message);
  } else if (!pulled) {
    spdlog::debug("checkpoint pull: {}", pulled.error().message);
  }
  // Also after a pull that brought nothing: a card's metrics may have arrived since.
  if (pulled && run.seams.hooks.checkpoints_pulled) run.seams.hooks.checkpoints_pulled(record);
}

}  // namespace choline::run
