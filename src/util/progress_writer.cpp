// The writing half of the progress module: steps, the status line, the process's writer.
#include <choline/util/progress.hpp>

#include <choline/util/strings.hpp>

#include <sys/ioctl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <streambuf>

namespace choline::util {

namespace {

constexpr std::string_view k_erase_line = "\r\033[K";

// Texts of steps may carry a provider's message or a host's file name: escape sequences in them
// must not reach the terminal (util::printable escapes them). Long paths stay whole.
std::string shown_text(std::string_view text) { return printable(text, 1000); }

}  // namespace

// ---- ProgressStep ----

ProgressStep::ProgressStep(ProgressStep&& other) noexcept : m_writer(other.m_writer), m_id(other.m_id) {
  other.m_writer = nullptr;
}

ProgressStep& ProgressStep::operator=(ProgressStep&& other) noexcept {
  if (this != &other) {
    if (m_writer) m_writer->drop(m_id);
    m_writer = other.m_writer;
    m_id = other.m_id;
    other.m_writer = nullptr;
  }
  return *this;
}

ProgressStep::~ProgressStep() {
  if (m_writer) m_writer->drop(m_id);
}

void ProgressStep::update(std::string detail) {
  if (m_writer) m_writer->update(m_id, std::move(detail), false);
}

void ProgressStep::status(std::string message) {
  if (m_writer) m_writer->update(m_id, std::move(message), true);
}

void ProgressStep::finish(std::string summary) {
  if (!m_writer) return;
  m_writer->finish(m_id, std::move(summary));
  m_writer = nullptr;
}

double ProgressStep::elapsed_seconds() const {
  return m_writer ? m_writer->elapsed(m_id) : 0.0;
}

// ---- ProgressWriter ----

ProgressWriter::ProgressWriter(ProgressMode mode, Output output) : m_mode(mode), m_output(std::move(output)) {}

ProgressMode ProgressWriter::mode() const {
  std::lock_guard lock(m_mutex);
  return m_mode;
}

void ProgressWriter::set_mode(ProgressMode mode) {
  std::lock_guard lock(m_mutex);
  erase_status_line();
  m_mode = mode;
}

ProgressStep ProgressWriter::start(std::string title, StepOptions options) {
  std::lock_guard lock(m_mutex);
  const auto now = m_output.now();
  const Clock::duration interval =
      m_mode == ProgressMode::plain ? Clock::duration(k_plain_interval) : Clock::duration(k_redraw_interval);
  const std::uint64_t id = m_next_id++;
  Step& step =
      m_steps.emplace(id, Step{shown_text(title), options, StepThrottle(now, options.show_after, interval), now, {}, {}})
          .first->second;
  if (step.throttle.start()) {
    if (m_mode == ProgressMode::plain) emit_plain(step.title);
    if (m_mode == ProgressMode::redraw) redraw(true);
  }
  return ProgressStep(this, id);
}

void ProgressWriter::update(std::uint64_t id, std::string detail, bool changed) {
  std::lock_guard lock(m_mutex);
  const auto it = m_steps.find(id);
  if (it == m_steps.end()) return;
  Step& step = it->second;
  detail = shown_text(detail);
  if (changed) {
    if (detail == step.last_status) return;
    step.last_status = detail;
  }
  step.detail = std::move(detail);
  if (m_mode == ProgressMode::quiet) return;
  if (!step.throttle.update(m_output.now(), changed)) return;
  if (m_mode == ProgressMode::plain) emit_plain(line_of(step));
  if (m_mode == ProgressMode::redraw) redraw(changed);
}

void ProgressWriter::finish(std::uint64_t id, std::string summary) {
  std::lock_guard lock(m_mutex);
  const auto it = m_steps.find(id);
  if (it == m_steps.end()) return;
  const Step step = std::move(it->second);
  m_steps.erase(it);
  if (m_mode == ProgressMode::quiet || !step.throttle.finish(m_output.now())) {
    if (m_mode == ProgressMode::redraw) redraw(true);
    return;
  }
  const std::string line = step.title + (summary.empty() ? "" : ": " + shown_text(summary));
  if (m_mode == ProgressMode::plain) {
    emit_plain(line);
  } else {
    // The finished step keeps its line; the ones still running get the status line below it.
    // (While stdout is suspended its partial line is still in stdio's line buffer, not on the
    // terminal, so this line cannot split it.)
    erase_status_line();
    m_output.write(line + "\n");
    redraw(true);
  }
}

void ProgressWriter::drop(std::uint64_t id) {
  std::lock_guard lock(m_mutex);
  if (m_steps.erase(id) && m_mode == ProgressMode::redraw) redraw(true);
}

double ProgressWriter::elapsed(std::uint64_t id) const {
  std::lock_guard lock(m_mutex);
  const auto it = m_steps.find(id);
  if (it == m_steps.end()) return 0.0;
  return std::chrono::duration<double>(m_output.now() - it->second.started).count();
}

void ProgressWriter::suspend() {
  std::lock_guard lock(m_mutex);
  erase_status_line();
  ++m_suspended;
}

void ProgressWriter::resume() {
  std::lock_guard lock(m_mutex);
  if (m_suspended > 0) --m_suspended;
  if (m_mode == ProgressMode::redraw) redraw(true);
}

std::string ProgressWriter::line_of(const Step& step) const {
  std::string line = step.title;
  if (!step.detail.empty()) line += ": " + step.detail;
  if (step.options.show_elapsed) {
    const double seconds = std::chrono::duration<double>(m_output.now() - step.started).count();
    if (seconds >= 1) line += " (" + format_duration(seconds) + ")";
  }
  return line;
}

void ProgressWriter::emit_plain(const std::string& text) {
  m_output.write("[" + m_output.wall_clock() + "] " + text + "\n");
}

void ProgressWriter::redraw(bool force) {
  if (m_mode != ProgressMode::redraw || m_suspended > 0) return;
  const auto now = m_output.now();
  if (!force && m_drawn && now - m_last_draw < k_redraw_interval) return;
  std::string line;
  for (const auto& [id, step] : m_steps) {
    if (!step.throttle.shown()) continue;
    if (!line.empty()) line += " | ";
    line += line_of(step);
  }
  if (line.empty()) {
    erase_status_line();
    return;
  }
  // One column short of the width: a line that fills the last column wraps on some terminals,
  // and "\r" would then redraw only its second half.
  const std::size_t width = std::max<std::size_t>(m_output.width(), 20) - 1;
  m_output.write(std::string(k_erase_line) + fit_to_width(line, width));
  m_drawn = true;
  m_last_draw = now;
}

void ProgressWriter::erase_status_line() {
  if (!m_drawn) return;
  m_output.write(k_erase_line);
  m_drawn = false;
}

// ---- KeyedSteps ----

void KeyedSteps::start(const std::string& key, std::string title) {
  ProgressStep step = progress().start(std::move(title), m_options);
  std::lock_guard lock(m_mutex);
  m_steps[key] = std::move(step);
}

void KeyedSteps::status(const std::string& key, std::string message) {
  std::lock_guard lock(m_mutex);
  if (auto it = m_steps.find(key); it != m_steps.end()) it->second.status(std::move(message));
}

void KeyedSteps::finish(const std::string& key, std::string summary) {
  std::lock_guard lock(m_mutex);
  if (auto it = m_steps.find(key); it != m_steps.end()) {
    if (m_options.show_elapsed) summary += " after " + format_duration(it->second.elapsed_seconds());
    it->second.finish(std::move(summary));
    m_steps.erase(it);
  }
}

// ---- The process's writer ----

namespace {

void write_stderr(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::size_t stderr_width() {
  struct winsize size {};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::string wall_clock_now() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

bool env_set(const char* name) {
  const char* value = std::getenv(name);
  return value && *value;
}

// std::cout's buffer in redraw mode: a line written to stdout first takes the status line off
// the terminal, and puts it back once the line is complete.
class StatusLineGuard final : public std::streambuf {
 public:
  explicit StatusLineGuard(std::streambuf* inner) : m_inner(inner) {}

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    const char ch = traits_type::to_char_type(c);
    return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
  }
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    if (size <= 0) return 0;
    std::lock_guard lock(m_mutex);
    if (!m_writing) {
      progress().suspend();
      m_writing = true;
    }
    const std::streamsize written = m_inner->sputn(data, size);
    if (data[size - 1] == '\n') {
      m_inner->pubsync();
      m_writing = false;
      progress().resume();
    }
    return written;
  }
  int sync() override { return m_inner->pubsync(); }

 private:
  std::streambuf* m_inner;
  std::mutex m_mutex;
  bool m_writing = false;
};

}  // namespace

ProgressWriter& progress() {
  static ProgressWriter writer(
      ProgressMode::quiet, {write_stderr, stderr_width, [] { return ProgressWriter::Clock::now(); }, wall_clock_now});
  return writer;
}

void configure_progress(bool quiet) {
  const char* term = std::getenv("TERM");
  const ProgressMode mode = choose_progress_mode(::isatty(STDERR_FILENO) == 1, env_set("CI"), env_set("NO_COLOR"),
                                                 term && std::string_view(term) == "dumb", quiet);
  progress().set_mode(mode);
  if (mode == ProgressMode::redraw && ::isatty(STDOUT_FILENO) == 1) {
    static StatusLineGuard guard(std::cout.rdbuf());
    if (std::cout.rdbuf() != &guard) std::cout.rdbuf(&guard);
  }
}

bool colors_wanted(int fd) {
  const char* term = std::getenv("TERM");
  return ::isatty(fd) == 1 && !env_set("NO_COLOR") && !(term && std::string_view(term) == "dumb");
}

}  // namespace choline::util
