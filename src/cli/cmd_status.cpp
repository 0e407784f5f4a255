#include <choline/cli/command.hpp>
#include <choline/run/run_record.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <ostream>

namespace choline::cli {

namespace {

std::string hosts_summary(const run::RunRecord& record) {
  int held = 0;
  for (const auto& host : record.hosts) held += host.state != run::HostState::released;
  return std::to_string(record.hosts.size()) + (held ? " (" + std::to_string(held) + " held)" : "");
}

class StatusCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("RUN", m_run, "Run id or a unique part of it (default: every run, newest first)");
    app.add_flag("--json", m_json, "Print the run record (run.json) on stdout");
  }

  Result<int> run(CommandContext& context) override {
    if (!m_run.empty() || m_json) {
      auto record = run::find_run(context.global.project_dir, m_run);
      if (!record) return std::move(record).error();
      if (m_json) {
        context.out << record->to_json().dump(2) << "\n";
        return 0;
      }
      print_one(*record, context.out);
      return 0;
    }
    const auto runs = run::list_runs(context.global.project_dir);
    if (runs.empty()) {
      context.out << "no runs yet in this project (choline train starts one)\n";
      return 0;
    }
    context.out << fmt::format("{:<36} {:<12} {:<14} {:<10} {:<8} {}\n", "RUN", "STATE", "GPUS", "HOSTS", "ATTEMPTS", "CREATED");
    for (const auto& record : runs) {
      context.out << fmt::format("{:<36} {:<12} {:<14} {:<10} {:<8} {}\n", record.id, run::to_string(record.state),
                                 record.options.spec.describe(), hosts_summary(record), record.attempts.size(),
                                 record.created_at);
    }
    return 0;
  }

 private:
  static void print_one(const run::RunRecord& record, std::ostream& out) {
    out << "run       " << record.id << "\n"
        << "state     " << run::to_string(record.state) << "\n"
        << "command   " << fmt::format("{}", fmt::join(record.command, " ")) << "\n"
        << "gpus      " << record.options.spec.describe() << " on " << record.options.provider << "\n"
        << "created   " << record.created_at << "\n";
    for (const auto& host : record.hosts) {
      out << "host " << host.node << "    " << host.host.id << " (" << host.host.address << ") "
          << (host.state == run::HostState::released ? "released" : host.state == run::HostState::ready ? "ready" : "created")
          << (host.released_because.empty() ? "" : " (" + host.released_because + ")") << "\n";
    }
    if (record.restarts > 0) out << "restarts  " << record.restarts << "\n";
    for (const auto& loss : record.host_losses) {
      out << "lost      node " << loss.node << " " << loss.host_id << " at " << loss.at << ": " << loss.reason << "\n";
    }
    for (const auto& attempt : record.attempts) {
      out << "attempt " << attempt.number << " " << attempt.started_at << " " << (attempt.outcome.empty() ? "running" : attempt.outcome)
          << (attempt.resume_from.empty() ? "" : " (from " + attempt.resume_from + ")") << "\n";
    }
    // What happened to the run itself, beyond its hosts and attempts.
    for (const auto& event : record.events) {
      if (!event.is_object() || !event.contains("type") || !event["type"].is_string()) continue;
      const std::string type = event["type"];
      const std::string at = event.contains("at") && event["at"].is_string() ? event["at"].get<std::string>() : "";
      if (type == "detached") out << "event     " << at << " detached (choline stopped watching)\n";
      if (type == "reattached") out << "event     " << at << " re-attached by choline resume\n";
      if (type == "resumed") out << "event     " << at << " resumed as a new attempt\n";
      if (type == "release_failed") out << "RELEASE FAILED " << at << " (choline stop " << record.id << " retries it)\n";
    }
    out << "logs      " << record.logs_dir().string() << "\n"
        << "ckpts     " << record.checkpoints_dir().string() << "\n";
  }

  std::string m_run;
  bool m_json = false;
};

}  // namespace

std::unique_ptr<Command> make_status_command() { return std::make_unique<StatusCommand>(); }

}  // namespace choline::cli
