#pragma once
// The laptop's copy of a run's worker logs: one append-only file per rank under the run's
// logs/ directory. A file's size is the offset the next stream from the host starts at, so
// bytes that arrive twice (after a reconnect) are dropped and none are skipped. Complete lines
// are also echoed with a "[node/rank]" prefix.

#include <choline/error.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <string>

namespace choline::run {

class LogSink {
 public:
  // `echo` receives prefixed lines (nullptr: keep files only). `slots_per_node` turns a global
  // rank into its node for the prefix.
  LogSink(std::filesystem::path dir, std::ostream* echo, int slots_per_node);

  // Appends the part of [offset, offset + data) not already held. A gap (offset beyond what is
  // held) is a protocol error: the host skipped bytes.
  Status append(int rank, std::uint64_t offset, std::string_view data);

  // What is held for every rank found on disk: the offsets for the next stream.
  std::map<int, std::uint64_t> offsets() const;

  // Echoes what is already held, rank by rank; a last line without its newline stays pending,
  // so bytes streamed later complete it instead of starting a new line.
  void echo_held();

  // Prints `data` as rank's lines with the usual prefix, without storing it.
  void print(int rank, std::string_view data) {
    std::lock_guard lock(m_mutex);
    echo_lines(rank, data);
  }

  // Prints partial last lines, e.g. when the job ended without a newline.
  void flush_partial_lines();

  // Called with every complete line (without its newline) as it arrives or is echoed, e.g. to
  // pick out metrics. Set before streaming starts.
  using LineHook = std::function<void(int rank, std::string_view line)>;
  void set_line_hook(LineHook hook) { m_line_hook = std::move(hook); }

  std::filesystem::path file_for(int rank) const { return m_dir / ("rank-" + std::to_string(rank) + ".log"); }

 private:
  void echo_lines(int rank, std::string_view data);

  std::filesystem::path m_dir;
  std::ostream* m_echo;
  int m_slots_per_node;
  mutable std::mutex m_mutex;
  std::map<int, std::string> m_partial;
  LineHook m_line_hook;
};

}  // namespace choline::run
