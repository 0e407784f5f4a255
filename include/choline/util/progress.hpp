#pragma once
// Progress of long steps (renting a host, installing the agent, syncing, setup commands,
// waiting for a replacement, pulling checkpoints) on stderr.
//
// On a terminal the running steps share one status line, redrawn in place, and each step that
// ends leaves one line behind. Elsewhere (stderr not a terminal, CI set, NO_COLOR set, TERM=dumb)
// steps print plain timestamped lines: one when a step starts, one when it ends, and between
// them at most one per k_plain_interval, so a CI log stays short. --quiet shows none.
//
// The first half of this header is pure (formatting and the throttle take values, clocks
// included) and unit-tested; ProgressWriter is the thin part that writes.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace choline::util {

enum class ProgressMode { redraw, plain, quiet };

// Plain lines come at most this often per step between its start and end lines.
inline constexpr std::chrono::seconds k_plain_interval{10};
// The status line is redrawn at most this often (a sync reports every data chunk).
inline constexpr std::chrono::milliseconds k_redraw_interval{100};

// ---- Pure ----

// The mode for these facts: quiet wins, then anything that is not an interactive colour
// terminal gets plain lines.
ProgressMode choose_progress_mode(bool stderr_is_terminal, bool ci, bool no_color, bool dumb_terminal, bool quiet);

// "0 B", "999 B", "1.5 kB", "45.1 MB", "451 MB", "3.4 GB" (decimal units, as disks and links
// are sold).
std::string format_bytes(std::uint64_t bytes);
// "12.3 MB/s".
std::string format_rate(double bytes_per_second);
// "0.4 s", "12 s", "3 min 05 s", "2 h 10 min".
std::string format_duration(double seconds);

// Seconds left at the rate so far, or std::nullopt while it cannot be told: no total, nothing
// done yet, or too little time elapsed for a rate.
std::optional<double> eta_seconds(std::uint64_t done, std::uint64_t total, double elapsed_seconds);

// What a transfer has moved. A total of 0 means "not known" (a receiver does not know what it
// will be sent), and the description leaves out what depends on it.
struct TransferCounts {
  std::uint64_t files_done = 0;
  std::uint64_t files_total = 0;
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;
};
// "120/300 files, 45.1 MB of 120 MB, 12.3 MB/s, 6 s left"; "3 files, 45.1 MB, 12.3 MB/s".
std::string describe_transfer(const TransferCounts& counts, double elapsed_seconds);

// Cuts `line` to `width` columns (counting bytes; the texts here are ASCII), ending in "...".
std::string fit_to_width(std::string_view line, std::size_t width);

// Decides which moments of one step are shown, for either mode's interval. Pure: every call
// passes the time.
class StepThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  // `show_after`: the step stays silent unless it lasts this long (e.g. a checkpoint pull every
  // 10 s that usually takes a fraction of a second). `interval`: the least time between two
  // updates shown.
  StepThrottle(Clock::time_point started, Clock::duration show_after, Clock::duration interval);

  // Whether the start is shown at once (only for a step without a delay).
  bool start();
  // Whether an update is shown now: the first one after the delay, then at most one per
  // interval; `changed` (a new state such as the provider's status message) is shown at once.
  bool update(Clock::time_point now, bool changed);
  // Whether the end is shown: when anything of the step was, or it outlasted its delay.
  bool finish(Clock::time_point now) const;
  bool shown() const { return m_shown; }

 private:
  Clock::time_point m_started;
  Clock::duration m_show_after;
  Clock::duration m_interval;
  Clock::time_point m_last_shown;
  bool m_shown = false;
};

// ---- The writer ----

struct StepOptions {
  std::chrono::milliseconds show_after{0};  // see StepThrottle
  bool show_elapsed = false;                // append the time since the start to every update
};

class ProgressWriter;

// One running step; movable. Destroying it without finish() ends it without a line (an error
// path says what went wrong through the log instead).
class ProgressStep {
 public:
  ProgressStep() = default;
  ProgressStep(ProgressStep&& other) noexcept;
  ProgressStep& operator=(ProgressStep&& other) noexcept;
  ProgressStep(const ProgressStep&) = delete;
  ProgressStep& operator=(const ProgressStep&) = delete;
  ~ProgressStep();

  // The step's current detail ("120/300 files, ..."); throttled.
  void update(std::string detail);
  // A new state worth a plain line of its own ("loading: pulling image"); repeats of the same
  // message are dropped.
  void status(std::string message);
  // The step's last line ("pushed 12 of 300 files (4.5 MB) in 1.2 s"); the step is over.
  void finish(std::string summary);
  double elapsed_seconds() const;

 private:
  friend class ProgressWriter;
  ProgressStep(ProgressWriter* writer, std::uint64_t id) : m_writer(writer), m_id(id) {}
  ProgressWriter* m_writer = nullptr;
  std::uint64_t m_id = 0;
};

class ProgressWriter {
 public:
  using Clock = std::chrono::steady_clock;
  // Where lines go and what the time is; the process's writer uses stderr and the real clocks,
  // tests pass their own.
  struct Output {
    std::function<void(std::string_view)> write;
    std::function<std::size_t()> width;  // terminal columns (redraw mode)
    std::function<Clock::time_point()> now;
    std::function<std::string()> wall_clock;  // "12:03:04" for plain lines
  };

  ProgressWriter(ProgressMode mode, Output output);
  ProgressWriter(const ProgressWriter&) = delete;
  ProgressWriter& operator=(const ProgressWriter&) = delete;

  ProgressMode mode() const;
  void set_mode(ProgressMode mode);

  // Starts a step titled e.g. "node 0: pushing the project".
  ProgressStep start(std::string title, StepOptions options = {});

  // Other output to the terminal (a log line, a worker's line) goes between suspend() and
  // resume(): the status line is erased first and drawn again after.
  void suspend();
  void resume();

 private:
  friend class ProgressStep;
  struct Step {
    std::string title;
    StepOptions options;
    StepThrottle throttle;
    Clock::time_point started;
    std::string detail;
    std::string last_status;
  };

  void update(std::uint64_t id, std::string detail, bool changed);
  void finish(std::uint64_t id, std::string summary);
  void drop(std::uint64_t id);
  double elapsed(std::uint64_t id) const;

  // Both with m_mutex held.
  std::string line_of(const Step& step) const;
  void emit_plain(const std::string& text);
  void redraw(bool force);
  void erase_status_line();

  mutable std::mutex m_mutex;
  ProgressMode m_mode;
  Output m_output;
  std::map<std::uint64_t, Step> m_steps;
  std::uint64_t m_next_id = 1;
  bool m_drawn = false;  // a status line is on the terminal now
  int m_suspended = 0;
  Clock::time_point m_last_draw{};
};

// Progress of several things of one kind, by key (a provider's instances, each booting on
// its own). Thread-safe.
class KeyedSteps {
 public:
  explicit KeyedSteps(StepOptions options = {.show_after = {}, .show_elapsed = true}) : m_options(options) {}
  void start(const std::string& key, std::string title);
  // Nothing happens for a key that has no running step (e.g. status polls of a host long up).
  void status(const std::string& key, std::string message);
  // With show_elapsed the summary gets " after 34 s".
  void finish(const std::string& key, std::string summary);

 private:
  StepOptions m_options;
  std::mutex m_mutex;
  std::map<std::string, ProgressStep> m_steps;
};

// The process's writer, on stderr. It is quiet until configure_progress runs.
ProgressWriter& progress();

// Sets the process's mode from --quiet and the environment (isatty(2), CI, NO_COLOR, TERM),
// and in redraw mode routes std::cout through the writer when stdout is the same terminal,
// so worker lines never land in the middle of the status line.
void configure_progress(bool quiet);

// Whether text written to `fd` may carry ANSI colours: a terminal, NO_COLOR unset or empty,
// TERM not "dumb".
bool colors_wanted(int fd);

}  // namespace choline::util
