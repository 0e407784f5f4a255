#pragma once
// The laptop's copy of a run's worker logs: one append-only file per rank under the run's
// logs/ directory. A file's size is the offset the next stream from the host starts at, so
// bytes that arrive twice (after a reconnect) are dropped and none are skipped. Complete lines
// are also echoed with a "[node/rank]" prefix (log_view.hpp).
//
// The rank files are byte-for-byte what the host wrote. When bytes arrived is kept beside
// them, in logs/arrivals/rank-<r>.tsv ("<offset> <unix seconds>" lines, at most one per
// second), for `choline logs --since`.

#include <choline/error.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace choline::logs {

class LogSink {
 public:
  // `echo` receives prefixed lines (nullptr: keep files only). `slots_per_node` turns a global
  // rank into its node for the prefix.
  LogSink(std::filesystem::path dir, std::ostream* echo, int slots_per_node);

  // Appends the part of [offset, offset + data) not already held, and notes when it arrived.
  // A gap (offset beyond what is held) is a protocol error: the host skipped bytes.
  Status append(int rank, std::uint64_t offset, std::string_view data);

  // What is held for every rank found on disk: the offsets for the next stream.
  std::map<int, std::uint64_t> offsets() const;

  // Echoes what is already held, rank by rank; a last line without its newline stays pending,
  // so bytes streamed later complete it instead of starting a new line.
  void echo_held();

  // Prints partial last lines, e.g. when the job ended without a newline.
  void flush_partial_lines();

  // Called with every complete line (without its newline, and without the stderr marker) as it
  // arrives or is echoed, e.g. to pick out metrics. Set before streaming starts.
  using LineHook = std::function<void(int rank, std::string_view line)>;
  void set_line_hook(LineHook hook) { m_line_hook = std::move(hook); }

  // Which lines are echoed (all when unset): `arrived_unix` is when the line reached this
  // machine, std::nullopt when not known. Set before echoing starts.
  using EchoFilter =
      std::function<bool(int node, int rank, std::string_view line, std::optional<std::int64_t> arrived_unix)>;
  void set_echo_filter(EchoFilter filter) { m_filter = std::move(filter); }

  // Echo the workers' `choline-metrics:` lines too (is_metrics_line); off by default: they are
  // choline's protocol, kept in the rank files and metrics.jsonl. Line hooks see them either way.
  void set_show_metrics(bool show) { m_show_metrics = show; }

  // Colours the echo (log_view.hpp); off by default.
  void set_color(bool color) { m_color = color; }

  // The clock arrival times are read from (tests set their own).
  void set_wall_clock(std::function<std::int64_t()> now_unix) { m_now_unix = std::move(now_unix); }

  std::filesystem::path file_for(int rank) const { return m_dir / ("rank-" + std::to_string(rank) + ".log"); }
  std::filesystem::path arrivals_for(int rank) const {
    return m_dir / "arrivals" / ("rank-" + std::to_string(rank) + ".tsv");
  }

  // The arrival records of a rank's file, sorted by offset (see arrival_at in log_view.hpp).
  std::vector<std::pair<std::uint64_t, std::int64_t>> arrivals(int rank) const;

 private:
  // `at` is the file offset of data's first byte; `time_of` gives the arrival of a line from
  // the offset of its newline.
  void echo_lines(int rank, std::string_view data, std::uint64_t at,
                  const std::function<std::optional<std::int64_t>(std::uint64_t)>& time_of);
  void show(int rank, std::string_view line, std::optional<std::int64_t> arrived);
  void note_arrival(int rank, std::uint64_t offset);

  std::filesystem::path m_dir;
  std::ostream* m_echo;
  int m_slots_per_node;
  mutable std::mutex m_mutex;
  struct Partial {
    std::string text;
    std::uint64_t start = 0;  // file offset of text's first byte
    std::optional<std::int64_t> arrived;
  };
  std::map<int, Partial> m_partial;
  std::map<int, std::int64_t> m_last_arrival_noted;
  LineHook m_line_hook;
  EchoFilter m_filter;
  bool m_color = false;
  bool m_show_metrics = false;
  std::function<std::int64_t()> m_now_unix;
};

}  // namespace choline::logs
