#include <choline/util/progress.hpp>

#include <catch2/catch.hpp>

using namespace choline::util;
using namespace std::chrono_literals;

TEST_CASE("choose_progress_mode: quiet wins, anything but a watched terminal gets plain lines", "[util][progress]") {
  CHECK(choose_progress_mode(true, false, false, false, false) == ProgressMode::redraw);
  CHECK(choose_progress_mode(false, false, false, false, false) == ProgressMode::plain);
  CHECK(choose_progress_mode(true, true, false, false, false) == ProgressMode::plain);  // CI
  CHECK(choose_progress_mode(true, false, true, false, false) == ProgressMode::plain);  // NO_COLOR
  CHECK(choose_progress_mode(true, false, false, true, false) == ProgressMode::plain);  // TERM=dumb
  CHECK(choose_progress_mode(true, false, false, false, true) == ProgressMode::quiet);
  CHECK(choose_progress_mode(false, true, true, true, true) == ProgressMode::quiet);
}

TEST_CASE("format_bytes uses decimal units with three significant digits at most", "[util][progress]") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(999) == "999 B");
  CHECK(format_bytes(1000) == "1.0 kB");
  CHECK(format_bytes(1500) == "1.5 kB");
  CHECK(format_bytes(45'100'000) == "45.1 MB");
  CHECK(format_bytes(451'000'000) == "451 MB");
  CHECK(format_bytes(999'960) == "1.0 MB");  // rounds up into the next unit, never "1000.0 kB"
  CHECK(format_bytes(3'400'000'000) == "3.4 GB");
  CHECK(format_bytes(UINT64_MAX) == "18447 PB");
}

TEST_CASE("format_rate and format_duration", "[util][progress]") {
  CHECK(format_rate(12'300'000) == "12.3 MB/s");
  CHECK(format_rate(0) == "0 B/s");
  CHECK(format_rate(-1) == "0 B/s");
  CHECK(format_duration(0.42) == "0.4 s");
  CHECK(format_duration(9.9) == "9.9 s");
  CHECK(format_duration(12.4) == "12 s");
  CHECK(format_duration(185) == "3 min 05 s");
  CHECK(format_duration(2 * 3600 + 10 * 60 + 7) == "2 h 10 min");
  CHECK(format_duration(-3) == "0.0 s");
}

TEST_CASE("eta_seconds needs a total, progress and some time", "[util][progress]") {
  CHECK_FALSE(eta_seconds(0, 100, 10));
  CHECK_FALSE(eta_seconds(50, 0, 10));     // total unknown
  CHECK_FALSE(eta_seconds(50, 100, 0.1));  // too early for a rate
  CHECK(eta_seconds(50, 100, 10) == Approx(10));
  CHECK(eta_seconds(25, 100, 5) == Approx(15));
  CHECK(eta_seconds(100, 100, 5) == Approx(0));
  CHECK(eta_seconds(150, 100, 5) == Approx(0));  // a delta can move more than it announced
}

TEST_CASE("describe_transfer leaves out what it does not know", "[util][progress]") {
  CHECK(describe_transfer({120, 300, 45'100'000, 120'000'000}, 3.0) ==
        "120/300 files, 45.1 MB of 120 MB, 15.0 MB/s, 5.0 s left");
  CHECK(describe_transfer({3, 0, 45'200'000, 0}, 2.0) == "3 files, 45.2 MB, 22.6 MB/s");
  CHECK(describe_transfer({1, 0, 10, 0}, 0.1) == "1 file, 10 B");
  CHECK(describe_transfer({300, 300, 120'000'000, 120'000'000}, 8.0) == "300/300 files, 120 MB of 120 MB, 15.0 MB/s");
}

TEST_CASE("fit_to_width keeps the status line one line", "[util][progress]") {
  CHECK(fit_to_width("short", 10) == "short");
  CHECK(fit_to_width("a long status line", 10) == "a long ...");
  CHECK(fit_to_width("abcdef", 3) == "abc");
}

TEST_CASE("StepThrottle: start at once, then one update per interval, state changes always", "[util][progress]") {
  const auto t0 = StepThrottle::Clock::time_point{} + 1h;
  StepThrottle throttle(t0, 0s, 10s);
  CHECK(throttle.start());
  CHECK_FALSE(throttle.update(t0 + 1s, false));
  CHECK_FALSE(throttle.update(t0 + 9s, false));
  CHECK(throttle.update(t0 + 10s, false));
  CHECK_FALSE(throttle.update(t0 + 11s, false));
  CHECK(throttle.update(t0 + 12s, true));         // a new provider status is worth its own line
  CHECK_FALSE(throttle.update(t0 + 21s, false));  // the interval counts from the last line shown
  CHECK(throttle.update(t0 + 22s, false));
  CHECK(throttle.finish(t0 + 23s));
}

TEST_CASE("StepThrottle: a delayed step stays silent when it ends quickly", "[util][progress]") {
  const auto t0 = StepThrottle::Clock::time_point{} + 1h;
  StepThrottle quick(t0, 2s, 10s);
  CHECK_FALSE(quick.start());
  CHECK_FALSE(quick.update(t0 + 1s, false));
  CHECK_FALSE(quick.update(t0 + 1s, true));
  CHECK_FALSE(quick.finish(t0 + 1500ms));

  StepThrottle slow(t0, 2s, 10s);
  CHECK_FALSE(slow.start());
  CHECK(slow.update(t0 + 2s, false));  // the first update after the delay shows the step
  CHECK(slow.shown());
  CHECK_FALSE(slow.update(t0 + 3s, false));
  StepThrottle silent_but_long(t0, 2s, 10s);
  CHECK(silent_but_long.finish(t0 + 3s));  // outlasted its delay: its end is worth a line
}

namespace {

// A writer over a string and a clock the test moves.
struct FakeTerminal {
  std::string text;
  ProgressWriter::Clock::time_point now = ProgressWriter::Clock::time_point{} + 1h;
  std::size_t width = 60;

  ProgressWriter::Output output() {
    return {[this](std::string_view s) { text.append(s); }, [this] { return width; }, [this] { return now; },
            [] { return std::string("12:00:00"); }};
  }
};

}  // namespace

TEST_CASE("ProgressWriter plain: start, throttled updates, status changes, end", "[util][progress]") {
  FakeTerminal terminal;
  ProgressWriter writer(ProgressMode::plain, terminal.output());
  ProgressStep step = writer.start("node 0: pushing the project");
  for (int i = 1; i <= 30; ++i) {
    terminal.now += 1s;
    step.update(std::to_string(i) + "/30 files");
  }
  step.finish("30 files (1.0 MB) in 30 s");
  CHECK(terminal.text ==
        "[12:00:00] node 0: pushing the project\n"
        "[12:00:00] node 0: pushing the project: 10/30 files\n"
        "[12:00:00] node 0: pushing the project: 20/30 files\n"
        "[12:00:00] node 0: pushing the project: 30/30 files\n"
        "[12:00:00] node 0: pushing the project: 30 files (1.0 MB) in 30 s\n");

  terminal.text.clear();
  ProgressStep rent = writer.start("vast.ai instance 7", {.show_after = {}, .show_elapsed = true});
  terminal.now += 2s;
  rent.status("loading");
  terminal.now += 1s;
  rent.status("loading");  // the same message again: no line
  rent.status("running, waiting for sshd");
  rent.finish("up");
  CHECK(terminal.text ==
        "[12:00:00] vast.ai instance 7\n"
        "[12:00:00] vast.ai instance 7: loading (2.0 s)\n"
        "[12:00:00] vast.ai instance 7: running, waiting for sshd (3.0 s)\n"
        "[12:00:00] vast.ai instance 7: up\n");
}

TEST_CASE("ProgressWriter plain: a quick delayed step prints nothing", "[util][progress]") {
  FakeTerminal terminal;
  ProgressWriter writer(ProgressMode::plain, terminal.output());
  ProgressStep pull = writer.start("pulling checkpoints", {.show_after = 2s});
  terminal.now += 500ms;
  pull.update("1 file, 10 B");
  pull.finish("1 file");
  CHECK(terminal.text.empty());
}

TEST_CASE("ProgressWriter redraw: one status line for the running steps, a line per finished one", "[util][progress]") {
  FakeTerminal terminal;
  ProgressWriter writer(ProgressMode::redraw, terminal.output());
  ProgressStep a = writer.start("node 0: sync");
  ProgressStep b = writer.start("node 1: sync");
  CHECK(terminal.text == "\r\033[Knode 0: sync\r\033[Knode 0: sync | node 1: sync");
  terminal.text.clear();

  a.update("1/2 files");
  terminal.now += 10ms;
  a.update("2/2 files");  // within the redraw interval: not drawn
  CHECK(terminal.text.empty());
  terminal.now += 200ms;
  b.update("5/9 files");
  CHECK(terminal.text == "\r\033[Knode 0: sync: 2/2 files | node 1: sync: 5/9 files");
  terminal.text.clear();

  a.finish("2 files in 0.2 s");
  CHECK(terminal.text == "\r\033[Knode 0: sync: 2 files in 0.2 s\n\r\033[Knode 1: sync: 5/9 files");
  terminal.text.clear();

  // Other output takes the status line away and puts it back after.
  writer.suspend();
  CHECK(terminal.text == "\r\033[K");
  b.update("6/9 files");  // not drawn while something else writes
  terminal.now += 1s;
  b.update("7/9 files");
  CHECK(terminal.text == "\r\033[K");
  writer.resume();
  CHECK(terminal.text == "\r\033[K\r\033[Knode 1: sync: 7/9 files");
  terminal.text.clear();

  // A step destroyed without finish leaves no line.
  { ProgressStep gone = std::move(b); }
  CHECK(terminal.text == "\r\033[K");
}

TEST_CASE("ProgressWriter redraw: the status line never wraps", "[util][progress]") {
  FakeTerminal terminal;
  terminal.width = 30;
  ProgressWriter writer(ProgressMode::redraw, terminal.output());
  ProgressStep step = writer.start("node 0: pushing the project to a host far away");
  CHECK(terminal.text == "\r\033[Knode 0: pushing the projec...");
}

TEST_CASE("ProgressWriter quiet writes nothing", "[util][progress]") {
  FakeTerminal terminal;
  ProgressWriter writer(ProgressMode::quiet, terminal.output());
  ProgressStep step = writer.start("renting");
  step.update("x");
  step.status("y");
  step.finish("done");
  writer.suspend();
  writer.resume();
  CHECK(terminal.text.empty());
}

TEST_CASE("ProgressWriter escapes control characters from messages", "[util][progress]") {
  FakeTerminal terminal;
  ProgressWriter writer(ProgressMode::plain, terminal.output());
  ProgressStep step = writer.start("instance 7");
  step.status("loading\033[2J");
  CHECK(terminal.text == "[12:00:00] instance 7\n[12:00:00] instance 7: loading\\x1b[2J\n");
}
