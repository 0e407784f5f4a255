#pragma once
// What the run's executor works with from the world: the provider (or a pool of hosts), the way
// hosts are opened, clocks, the terminal's Ctrl-C, randomness. The real ones come from
// make_seams(); tests pass fakes, so a whole run with a lost host runs in milliseconds.

#include <choline/logs/log_sink.hpp>
#include <choline/providers/provider.hpp>
#include <choline/records/metrics.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/host_pool.hpp>
#include <choline/run/host_session.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/interrupt.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>

namespace choline::run {

// How often checkpoints are pulled while a job runs.
inline constexpr auto k_checkpoint_pull_every = std::chrono::seconds(10);
// How long a rented host may take to come up.
inline constexpr auto k_provision_timeout = std::chrono::minutes(10);

// What the layers above the run layer want done at points of a run; the run layer knows nothing
// of them (the CLI passes report::write_model_cards, for one).
struct RunHooks {
  // After every checkpoint pull that succeeded (also one that brought nothing new: a model
  // card's metrics may have arrived since).
  std::function<void(const records::RunRecord&)> checkpoints_pulled;
  // Every metrics point rank 0 reports ("choline-metrics: {...}" lines), as it arrives.
  records::MetricsCollector::OnPoint metrics;
};

struct Seams {
  providers::Provider* provider = nullptr;
  HostOpener open_host;
  // Where the run's hosts come from; null: the run's own pool over `provider` and `open_host`.
  HostPool* pool = nullptr;
  util::Clock* clock = &util::system_clock();
  // Wall-clock seconds since the epoch, for what the held hosts cost so far (--max-cost).
  std::function<double()> wall_clock = util::epoch_seconds;
  // Whether Ctrl-C was pressed, asked while hosts boot (nothing is asked of the user then).
  std::function<bool()> interrupted = util::interrupt_requested;
  // Polled while following and waiting: nullopt when nobody pressed Ctrl-C, else the user's
  // answer (true: stop the run, false: detach).
  std::function<std::optional<bool>()> poll_interrupt;
  // Polled with poll_interrupt: why the run must stop at the request of whoever drives it (a
  // sweep stopping a trial early); nullopt: go on.
  std::function<std::optional<std::string>()> poll_stop;
  // Random numbers, for master ports.
  std::function<std::uint32_t()> random = [] { return std::random_device{}(); };
  std::chrono::milliseconds poll_every{100};
  util::Clock::Duration checkpoint_pull_every = k_checkpoint_pull_every;
  // How long a rented host may take to come up (CHOLINE_PROVISION_TIMEOUT_S overrides it).
  util::Clock::Duration provision_timeout = k_provision_timeout;
  // Where followed logs go; null: a sink over the run's logs directory echoing to the output.
  logs::LogSink* sink = nullptr;
  // Colour the echoed log lines (make_seams: when stdout is a colour terminal).
  bool color_logs = false;
  // Echo the workers' `choline-metrics:` lines too (LiveView::show_metrics).
  bool show_metrics = false;
  RunHooks hooks;
};

// Seams over the real provider, sessions, clock and terminal (Ctrl-C asks "detach or stop?" on
// a terminal, detaches without one; `may_stop` false always detaches, for `logs -f`).
Seams make_seams(providers::Provider& provider, bool may_stop = true);

}  // namespace choline::run
