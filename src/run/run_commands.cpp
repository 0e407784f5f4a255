// The run commands (train, resume, logs, stop) as the user sees them: each loads or creates the
// record, opens the provider, and hands the executor the event that starts its part.
#include <choline/providers/registry.hpp>
#include <choline/records/run_files.hpp>
#include <choline/run/controller.hpp>
#include <choline/run/orphans.hpp>
#include <choline/run/resume_plan.hpp>
#include <choline/run/run_commands.hpp>
#include <choline/util/files.hpp>
#include <choline/util/log.hpp>
#include <choline/util/progress.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <ctime>
#include <set>

namespace choline::run {

namespace {

std::map<std::string, std::string> secrets_registered(const std::map<std::string, std::string>& env) {
  for (const auto& [key, value] : env) util::register_secret(value);
  return env;
}

// Asks each host that serves a node how its job stands. Unreachable hosts count as not running.
std::vector<agent::JobState> probe_hosts(records::RunRecord& record, Seams& seams) {
  std::vector<agent::JobState> states;
  for (int node = 0; node < std::max(1, record.options.spec.nodes); ++node) {
    const records::HostRecord* host = record.current_host(node);
    if (!host) {
      states.emplace_back();
      continue;
    }
    auto state = seams.open_host(host->host)->state();
    if (!state) spdlog::warn("{}: {}", host->host.id, state.error().message);
    states.push_back(state ? *state : agent::JobState{});
  }
  return states;
}

bool holds_hosts(const records::RunRecord& record) {
  return std::any_of(record.hosts.begin(), record.hosts.end(),
                     [](const records::HostRecord& h) { return h.state != records::HostState::released; });
}

// A rank, node or attempt the run does not have is a mistake worth saying, not an empty page.
Status check_log_query(const records::RunRecord& record, const logs::LogQuery& query,
                       const std::map<int, std::uint64_t>& held, int slots) {
  const int nodes = std::max(1, record.options.spec.nodes);
  std::set<int> ranks;
  for (int rank = 0; rank < nodes * std::max(1, slots); ++rank) ranks.insert(rank);
  for (const auto& [rank, size] : held) ranks.insert(rank);
  const auto listed = [](const std::set<int>& values) {
    std::vector<std::string> words;
    for (int value : values) words.push_back(std::to_string(value));
    return util::join(words, ", ");
  };
  for (int rank : query.ranks) {
    if (!ranks.count(rank)) {
      return make_error(ErrorKind::usage, "run " + record.id + " has no rank " + std::to_string(rank) +
                                              "; its ranks are " + listed(ranks) + " (--rank R, repeatable)");
    }
  }
  for (int node : query.nodes) {
    if (node < 0 || node >= nodes) {
      return make_error(ErrorKind::usage,
                        "run " + record.id + " has no node " + std::to_string(node) + "; its nodes are 0" +
                            (nodes > 1 ? " to " + std::to_string(nodes - 1) : "") + " (--node N, repeatable)");
    }
  }
  if (query.attempt) {
    std::set<int> attempts;
    for (const auto& attempt : record.attempts) attempts.insert(attempt.number);
    if (!attempts.count(*query.attempt)) {
      return make_error(ErrorKind::not_found,
                        "run " + record.id + " has no attempt " + std::to_string(*query.attempt) +
                            (attempts.empty() ? "; it has not started one" : "; its attempts are " + listed(attempts)));
    }
  }
  return {};
}

// `choline logs` without -f on a run that is not over: what the hosts wrote while nobody
// followed comes home first, into the rank files and metrics.jsonl exactly as following would
// have brought it. A host that does not answer leaves the laptop's copy as it is, with a warning.
void fetch_host_logs(const records::RunRecord& record, int slots, const RunHooks& hooks) {
  auto provider = providers::make_provider(record.options);
  if (!provider) {
    spdlog::warn("showing the lines held here: {}", provider.error().message);
    return;
  }
  const Seams seams = make_seams(**provider, /*may_stop=*/false);
  logs::LogSink files(record.logs_dir(), /*echo=*/nullptr, slots);
  const int attempt = record.attempts.empty() ? 1 : record.attempts.back().number;
  records::MetricsCollector metrics(record.metrics_file(), attempt, hooks.metrics);
  files.set_line_hook([&metrics](int rank, std::string_view line) { metrics.on_line(rank, line); });
  for (int node = 0; node < std::max(1, record.options.spec.nodes); ++node) {
    const records::HostRecord* host = record.current_host(node);
    if (!host || host->state == records::HostState::released || host->agent_pid == 0) continue;
    auto control = seams.open_host(host->host);
    if (auto fetched = control->fetch_logs(files, host->log_base); !fetched) {
      spdlog::warn("{}: its newest lines could not be fetched ({}); showing the lines held here", host->host.id,
                   fetched.error().message);
    }
  }
  // A last line without its newline stays unread here: the next follow completes it.
}

// The run's provider, when it opens and can ever serve the plan's shape.
Result<std::unique_ptr<providers::Provider>> open_servable(const spec::RunOptions& options) {
  auto provider = providers::make_provider(options);
  if (!provider) return provider.error();
  if (auto ok = (*provider)->can_serve(options.spec); !ok) return ok.error();
  return provider;
}

}  // namespace

Status check_plan(const spec::RunOptions& options) {
  auto provider = open_servable(options);
  if (!provider) return provider.error();
  return {};
}

Result<int> train(const TrainRequest& request, std::ostream& out, const RunHooks& hooks, const LiveView& view) {
  // Everything that can be known to fail is known before the run exists: a plan no host can
  // ever serve is the user's to fix, not a failed run in `choline status`.
  auto provider = open_servable(request.options);
  if (!provider) return provider.error();
  records::RunRecord record;
  record.id = records::new_run_id(request.job.entry.empty() ? request.job.argv.front() : request.job.entry);
  record.project_dir = std::filesystem::absolute(request.project_dir).lexically_normal().string();
  record.created_at = util::now_iso8601();
  record.command = request.job.argv;
  record.entry = request.job.entry;
  record.options = request.options;
  auto created = records::create_run(request.project_dir, std::move(record));
  if (!created) return created.error();
  records::RunRecord& run = *created;
  const auto env = secrets_registered(request.forwarded_env);
  spdlog::info("run {}: {} on {}", run.id, run.options.spec.describe(), run.options.provider);
  Seams seams = make_seams(**provider);
  seams.hooks = hooks;
  seams.show_metrics = view.show_metrics;
  return execute(run, seams, event::Start{}, env, out);
}

Result<int> resume(records::RunRecord& record, const std::map<std::string, std::string>& forwarded_env,
                   std::ostream& out, const RunHooks& hooks, const LiveView& view) {
  // The provider is opened only when the plan needs the hosts' answers (a run that succeeded
  // needs none, and its provider's key may be gone).
  std::optional<Result<std::unique_ptr<providers::Provider>>> provider;
  Seams seams;
  return resume_with(
      record,
      [&]() -> Seams* {
        provider = providers::make_provider(record.options);
        if (!*provider) return nullptr;
        seams = make_seams(***provider);
        seams.hooks = hooks;
        seams.show_metrics = view.show_metrics;
        return &seams;
      },
      forwarded_env, out,
      [&]() -> Error {
        return provider && !*provider ? provider->error() : make_error(ErrorKind::internal, "no provider");
      });
}

Result<int> resume_with(records::RunRecord& record, const std::function<Seams*()>& open_seams,
                        const std::map<std::string, std::string>& forwarded_env, std::ostream& out,
                        const std::function<Error()>& open_error) {
  const auto env = secrets_registered(forwarded_env);
  Seams* seams = nullptr;
  const ResumePlan plan = plan_resume(record, [&]() -> std::vector<agent::JobState> {
    seams = open_seams();
    if (!seams) return {};
    return probe_hosts(record, *seams);
  });
  if (plan.kind != ResumeKind::nothing_to_do && !seams) seams = open_seams();
  if (plan.kind != ResumeKind::nothing_to_do && !seams) return open_error();
  switch (plan.kind) {
    case ResumeKind::nothing_to_do:
      out << "choline: run " << record.id << " already succeeded; nothing to resume\n";
      return 0;
    case ResumeKind::reattach:
      out << "choline: re-attached to run " << record.id << "\n";
      record.state = records::RunState::running;
      if (auto ok = record.journal(records::JournalEvent::reattached); !ok) return ok.error();
      return execute(record, *seams, event::Resumed{true}, env, out);
    case ResumeKind::new_attempt:
      break;
  }
  if (plan.ended_while_detached) {
    const AttemptResult& ended = *plan.ended_while_detached;
    if (auto ok = record.end_attempt(detached_outcome(ended), ended.exit_code); !ok) return ok.error();
  }
  out << "choline: resuming run " << record.id << " as attempt " << plan.next_attempt << "\n";
  record.state = records::RunState::provisioning;
  if (auto ok = record.journal(records::JournalEvent::resumed, {{"attempt", plan.next_attempt}}); !ok)
    return ok.error();
  return execute(record, *seams, event::Resumed{false}, env, out);
}

Result<int> show_logs(records::RunRecord& record, bool follow, const logs::LogQuery& query, std::ostream& out,
                      const RunHooks& hooks, const LiveView& view) {
  const records::HostRecord* node0 = record.current_host(0);
  const int slots = node0 ? node0->host.slots : (record.hosts.empty() ? 1 : record.hosts[0].host.slots);
  if (!follow && !records::is_final(record.state)) fetch_host_logs(record, slots, hooks);
  logs::LogSink held(record.logs_dir(), &out, slots);
  held.set_show_metrics(view.show_metrics);
  if (auto ok = check_log_query(record, query, held.offsets(), slots); !ok) return ok.error();
  auto filter = logs::LogFilter::make(query, static_cast<std::int64_t>(std::time(nullptr)));
  if (!filter) return filter.error();
  held.set_echo_filter([filter = std::move(*filter)](int node, int rank, std::string_view line,
                                                     std::optional<std::int64_t> arrived) mutable {
    return filter.keep(node, rank, line, arrived);
  });
  held.set_color(util::colors_wanted(STDOUT_FILENO));
  held.echo_held();  // what is already here, with the same prefixes as live lines
  if (!follow || records::is_final(record.state)) {
    held.flush_partial_lines();
    return 0;
  }
  auto provider = providers::make_provider(record.options);
  if (!provider) return provider.error();
  // Nobody else is watching this run: record how it ends and give the hosts back. A failure is
  // not retried here; choline resume does that.
  Seams seams = make_seams(**provider, /*may_stop=*/false);
  seams.hooks = hooks;
  seams.sink = &held;  // a partial line held from before is completed by the stream, not split
  seams.show_metrics = view.show_metrics;
  return execute(record, seams, event::Resumed{true}, {}, out, /*observer=*/true);
}

Result<int> stop(records::RunRecord& record, std::ostream& out, const RunHooks& hooks) {
  if (records::is_final(record.state) && holds_hosts(record))
    return release_leftovers(record, out);  // a destroy failed before
  if (records::is_final(record.state)) {
    out << "choline: run " << record.id << " already " << to_string(record.state) << "\n";
    return 0;
  }
  auto provider = providers::make_provider(record.options);
  if (!provider) return provider.error();
  Seams seams = make_seams(**provider);
  seams.hooks = hooks;
  return execute(record, seams, event::StopRequested{}, {}, out);
}

}  // namespace choline::run
