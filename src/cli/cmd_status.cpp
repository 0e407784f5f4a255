#include <choline/cli/command.hpp>

#include <choline/records/cost.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/orphans.hpp>
#include <choline/util/json.hpp>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <unistd.h>
#include <chrono>
#include <ostream>

namespace choline::cli {

namespace {

double now_epoch() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Red on a terminal: a paid host a finished run could not release.
std::string red(const std::string& text) {
  return ::isatty(STDOUT_FILENO) ? "\033[31m" + text + "\033[0m" : text;
}

bool leaked(const records::RunRecord& record, const records::HostRecord& host) {
  return records::is_final(record.state) && host.state != records::HostState::released;
}

std::string hosts_summary(const records::RunRecord& record) {
  int held = 0;
  for (const auto& host : record.hosts) held += host.state != records::HostState::released;
  return std::to_string(record.hosts.size()) + (held ? " (" + std::to_string(held) + " held)" : "");
}

class StatusCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id or a unique part of it (default: every run, newest first)");
    app.add_flag("--json", m_json, "Print the run record (run.json) on stdout");
    app.add_option(
        "--provider", m_provider,
        "List instances labelled choline-* at this provider (vast, runpod, lambda, all) that no run here holds");
  }

  Result<int> run(CommandContext& context) override {
    if (!m_provider.empty()) return orphans(context);
    if (!m_run.empty() || m_json) {
      auto record = records::find_run(context.global.project_dir, m_run);
      if (!record) return std::move(record).error();
      if (m_json) {
        context.out << util::dump_json(record->to_json(), 2) << "\n";
        return 0;
      }
      print_one(*record, context.out);
      return 0;
    }
    const auto list = records::list_runs(context.global.project_dir);
    const auto& runs = list.runs;
    // A damaged record is shown first and makes the exit status 1: a paid host may be behind it.
    for (const auto& damaged : list.damaged) context.out << red(records::damaged_run_advice(damaged)) << "\n";
    if (runs.empty()) {
      if (list.damaged.empty()) context.out << "no runs yet in this project (choline train starts one)\n";
      return list.damaged.empty() ? 0 : 1;
    }
    context.out << fmt::format("{:<36} {:<12} {:<14} {:<10} {:<8} {:>7} {:>8}  {}\n", "RUN", "STATE", "GPUS", "HOSTS",
                               "ATTEMPTS", "$/H", "COST", "CREATED");
    for (const auto& record : runs) {
      const auto cost = records::cost_of(record, now_epoch());
      context.out << fmt::format("{:<36} {:<12} {:<14} {:<10} {:<8} {:>7.3f} {:>8.2f}  {}\n", record.id,
                                 records::to_string(record.state), record.options.spec.describe(),
                                 hosts_summary(record), record.attempts.size(), cost.per_hour, cost.spent,
                                 record.created_at);
      for (const auto& host : record.hosts) {
        if (leaked(record, host)) {
          context.out << red("  " + host.host.provider + " instance " + host.host.id +
                             " was not released and may still bill; retry: choline stop " + record.id)
                      << "\n";
        }
      }
    }
    return list.damaged.empty() ? 0 : 1;
  }

  Result<int> orphans(CommandContext& context) {
    auto found = run::find_orphans(context.global.project_dir, m_provider);
    if (!found) return std::move(found).error();
    if (found->empty()) {
      context.out << "no choline instances at " << m_provider << " that no run here holds\n";
      return 0;
    }
    context.out << fmt::format("{:<8} {:<20} {:>7}  {}\n", "PROVIDER", "INSTANCE", "$/H", "LABEL");
    for (const auto& host : *found) {
      context.out << red(fmt::format("{:<8} {:<20} {:>7.3f}  {}", host.provider, host.id, host.price_per_hour,
                                     host.access.value("label", "")))
                  << "\n";
    }
    context.out << found->size() << " orphaned instance(s); destroy them with: choline stop --orphans --provider "
                << m_provider << "\n";
    return 0;
  }

 private:
  static void print_one(const records::RunRecord& record, std::ostream& out) {
    out << "run       " << record.id << "\n"
        << "state     " << records::to_string(record.state) << "\n"
        << "command   " << fmt::format("{}", fmt::join(record.command, " ")) << "\n"
        << "gpus      " << record.options.spec.describe() << " on " << record.options.provider << "\n"
        << "created   " << record.created_at << "\n";
    const auto cost = records::cost_of(record, now_epoch());
    out << "cost      " << fmt::format("${:.2f} so far, ${:.3f}/h now", cost.spent, cost.per_hour) << "\n";
    for (const auto& host : record.hosts) {
      out << "host " << host.node << "    " << host.host.id << " (" << host.host.address << ") "
          << (host.state == records::HostState::released ? "released"
              : host.state == records::HostState::ready  ? "ready"
                                                         : "created")
          << (host.released_because.empty() ? "" : " (" + host.released_because + ")")
          << (host.host.price_per_hour > 0 ? fmt::format(" ${:.3f}/h", host.host.price_per_hour) : "") << "\n";
      if (leaked(record, host))
        out << red("          NOT RELEASED: it may still bill; retry with: choline stop " + record.id) << "\n";
    }
    if (record.restarts > 0) out << "restarts  " << record.restarts << "\n";
    for (const auto& loss : record.host_losses) {
      out << "lost      node " << loss.node << " " << loss.host_id << " at " << loss.at << ": " << loss.reason << "\n";
    }
    for (const auto& attempt : record.attempts) {
      out << "attempt " << attempt.number << " " << attempt.started_at << " "
          << (attempt.outcome.empty() ? "running" : attempt.outcome)
          << (attempt.resume_from.empty() ? "" : " (from " + attempt.resume_from + ")") << "\n";
    }
    // What happened to the run itself, beyond its hosts and attempts.
    for (const auto& event : record.events) {
      const auto type = records::kind_of(event);
      if (!type) continue;
      const std::string at = event.contains("at") && event["at"].is_string() ? event["at"].get<std::string>() : "";
      using records::JournalEvent;
      if (type == JournalEvent::detached) out << "event     " << at << " detached (choline stopped watching)\n";
      if (type == JournalEvent::reattached) out << "event     " << at << " re-attached by choline resume\n";
      if (type == JournalEvent::resumed) out << "event     " << at << " resumed as a new attempt\n";
      if (type == JournalEvent::release_failed)
        out << "RELEASE FAILED " << at << " (choline stop " << record.id << " retries it)\n";
    }
    out << "logs      " << record.logs_dir().string() << "\n"
        << "ckpts     " << record.checkpoints_dir().string() << "\n";
  }

  std::string m_run;
  bool m_json = false;
  std::string m_provider;
};

}  // namespace

std::unique_ptr<Command> make_status_command() {
  return std::make_unique<StatusCommand>();
}

}  // namespace choline::cli
