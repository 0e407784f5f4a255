// The pure half of the progress module: modes, formatting, the throttle.
#include <choline/util/progress.hpp>

#include <cmath>
#include <cstdio>

namespace choline::util {

ProgressMode choose_progress_mode(bool stderr_is_terminal, bool ci, bool no_color, bool dumb_terminal, bool quiet) {
  if (quiet) return ProgressMode::quiet;
  // Redrawing needs a terminal that understands "\r" and erase-line, watched by a person.
  if (!stderr_is_terminal || ci || no_color || dumb_terminal) return ProgressMode::plain;
  return ProgressMode::redraw;
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  static const char* const units[] = {"kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes) / 1000.0;
  std::size_t unit = 0;
  // Round first, so 999,950 bytes reads "1.0 MB" rather than "1000.0 kB".
  while (unit + 1 < std::size(units) && std::round(value * 10) / 10 >= 1000.0) {
    value /= 1000.0;
    ++unit;
  }
  char text[32];
  if (value < 100) {
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  } else {
    std::snprintf(text, sizeof text, "%.0f %s", value, units[unit]);
  }
  return text;
}

std::string format_rate(double bytes_per_second) {
  if (!(bytes_per_second > 0) || !std::isfinite(bytes_per_second)) return "0 B/s";
  return format_bytes(static_cast<std::uint64_t>(std::llround(bytes_per_second))) + "/s";
}

std::string format_duration(double seconds) {
  if (!(seconds > 0) || !std::isfinite(seconds)) seconds = 0;
  char text[48];
  if (seconds < 9.95) {
    std::snprintf(text, sizeof text, "%.1f s", seconds);
    return text;
  }
  const auto whole = static_cast<long long>(std::llround(seconds));
  if (whole < 60) {
    std::snprintf(text, sizeof text, "%lld s", whole);
  } else if (whole < 3600) {
    std::snprintf(text, sizeof text, "%lld min %02lld s", whole / 60, whole % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld h %02lld min", whole / 3600, whole % 3600 / 60);
  }
  return text;
}

std::optional<double> eta_seconds(std::uint64_t done, std::uint64_t total, double elapsed_seconds) {
  // Under half a second the rate is mostly connection setup, and the estimate would jump.
  constexpr double k_min_elapsed = 0.5;
  if (total == 0 || done == 0 || !(elapsed_seconds >= k_min_elapsed)) return std::nullopt;
  if (done >= total) return 0.0;
  const double rate = static_cast<double>(done) / elapsed_seconds;
  return static_cast<double>(total - done) / rate;
}

std::string describe_transfer(const TransferCounts& counts, double elapsed_seconds) {
  std::string text;
  const auto files = [](std::uint64_t n) { return std::to_string(n) + (n == 1 ? " file" : " files"); };
  if (counts.files_total > 0) {
    text = std::to_string(counts.files_done) + "/" + files(counts.files_total);
  } else {
    text = files(counts.files_done);
  }
  text += ", " + format_bytes(counts.bytes_done);
  if (counts.bytes_total > 0) text += " of " + format_bytes(counts.bytes_total);
  if (elapsed_seconds >= 0.5) text += ", " + format_rate(static_cast<double>(counts.bytes_done) / elapsed_seconds);
  if (auto eta = eta_seconds(counts.bytes_done, counts.bytes_total, elapsed_seconds);
      eta && counts.bytes_done < counts.bytes_total) {
    text += ", " + format_duration(*eta) + " left";
  }
  return text;
}

std::string fit_to_width(std::string_view line, std::size_t width) {
  if (line.size() <= width) return std::string(line);
  if (width <= 3) return std::string(line.substr(0, width));
  return std::string(line.substr(0, width - 3)) + "...";
}

StepThrottle::StepThrottle(Clock::time_point started, Clock::duration show_after, Clock::duration interval)
    : m_started(started), m_show_after(show_after), m_interval(interval), m_last_shown(started) {}

bool StepThrottle::start() {
  if (m_show_after > Clock::duration::zero()) return false;
  m_shown = true;
  return true;
}

bool StepThrottle::update(Clock::time_point now, bool changed) {
  if (!m_shown) {
    if (now - m_started < m_show_after) return false;
    m_shown = true;
    m_last_shown = now;
    return true;
  }
  if (!changed && now - m_last_shown < m_interval) return false;
  m_last_shown = now;
  return true;
}

bool StepThrottle::finish(Clock::time_point now) const {
  return m_shown || now - m_started >= m_show_after;
}

}  // namespace choline::util
