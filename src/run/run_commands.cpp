// The run commands (train, resume, logs, stop) as the user sees them: each loads or creates the
// record, opens the provider, and hands the executor the event that starts its part.
#include <choline/providers/registry.hpp>
#include <choline/run/controller.hpp>
#include <choline/run/orphans.hpp>
#include <choline/run/run_files.hpp>
#include <choline/util/files.hpp>
#include <choline/util/log.hpp>
#include <choline/util/progress.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <ctime>
#include <set>
#include <unistd.h>

namespace choline::run {

namespace {

std::map<std::string, std::string> secrets_registered(const std::map<std::string, std::string>& env) {
  for (const auto& [key, value] : env) util::register_secret(value);
  return env;
}

// Asks each host that serves a node how its job stands. Unreachable hosts count as not running.
std::vector<agent::JobState> probe_hosts(RunRecord& record, Seams& seams) {
  std::vector<agent::JobState> states;
  for (int node = 0; node < std::max(1, record.options.spec.nodes); ++node) {
    const HostRecord* host = record.current_host(node);
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

bool holds_hosts(const RunRecord& record) {
  return std::any_of(record.hosts.begin(), record.hosts.end(), [](const HostRecord& h) { return h.state != HostState::released; });
}

// A rank, node or attempt the run does not have is a mistake worth saying, not an empty page.
Status check_log_query(const RunRecord& record, const LogQuery& query, const std::map<int, std::uint64_t>& held, int slots) {
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
      return make_error(ErrorKind::usage, "run " + record.id + " has no rank " + std::to_string(rank) + "; its ranks are " +
                                              listed(ranks) + " (--rank R, repeatable)");
    }
  }
  for (int node : query.nodes) {
    if (node < 0 || node >= nodes) {
      return make_error(ErrorKind::usage, "run " + record.id + " has no node " + std::to_string(node) + "; its nodes are 0" +
                                              (nodes > 1 ? " to " + std::to_string(nodes - 1) : "") + " (--node N, repeatable)");
    }
  }
  if (query.attempt) {
    std::set<int> attempts;
    for (const auto& attempt : record.attempts) attempts.insert(attempt.number);
    if (!attempts.count(*query.attempt)) {
      return make_error(ErrorKind::not_found, "run " + record.id + " has no attempt " + std::to_string(*query.attempt) +
                                                  (attempts.empty() ? "; it has not started one" : "; its attempts are " + listed(attempts)));
    }
  }
  return {};
}

bool any_running(const std::vector<agent::JobState>& states) {
  return std::any_of(states.begin(), states.end(), [](const agent::JobState& s) {
    return s.status == agent::JobStatus::running || s.status == agent::JobStatus::starting;
  });
}

}  // namespace

Result<int> train(const TrainRequest& request, std::ostream& out) {
  RunRecord record;
  record.id = new_run_id(request.job.entry.empty() ? request.job.argv.front() : request.job.entry);
  record.project_dir = std::filesystem::absolute(request.project_dir).lexically_normal().string();
  record.created_at = util::now_iso8601();
  record.command = request.job.argv;
  record.entry = request.job.entry;
  record.options = request.options;
  auto created = create_run(request.project_dir, std::move(record));
  if (!created) return created.error();
  RunRecord& run = *created;
  const auto env = secrets_registered(request.forwarded_env);
  spdlog::info("run {}: {} on {}", run.id, run.options.spec.describe(), run.options.provider);
  auto provider = providers::make_provider(run.options);
  if (!provider) {
    run.state = RunState::failed;
    if (auto ok = run.journal("finished", {{"state", "failed"}, {"reason", provider.error().message}}); !ok) {
      spdlog::error("{}", ok.error().message);
    }
    return provider.error();
  }
  Seams seams = make_seams(**provider);
  return execute(run, seams, event::Start{}, env, out);
}

Result<int> resume(RunRecord& record, const std::map<std::string, std::string>& forwarded_env, std::ostream& out) {
  if (record.state == RunState::succeeded) {
    out << "choline: run " << record.id << " already succeeded; nothing to resume\n";
    return 0;
  }
  const auto env = secrets_registered(forwarded_env);
  auto provider = providers::make_provider(record.options);
  if (!provider) return provider.error();
  Seams seams = make_seams(**provider);
  const auto states = probe_hosts(record, seams);
  if (any_running(states)) {
    out << "choline: re-attached to run " << record.id << "\n";
    record.state = RunState::running;
    if (auto ok = record.journal("reattached"); !ok) return ok.error();
    return execute(record, seams, event::Resumed{true}, env, out);
  }
  // The last attempt ended while nobody watched: record how, as far as the hosts still know.
  if (!record.attempts.empty() && record.attempts.back().ended_at.empty()) {
    const AttemptResult ended = combine_attempt(states);
    record.attempts.back().ended_at = util::now_iso8601();
    record.attempts.back().outcome = ended.description + " (while detached)";
    record.attempts.back().exit_code = ended.exit_code;
    if (auto ok = record.journal("attempt_ended", {{"attempt", record.attempts.back().number}, {"outcome", ended.description}});
        !ok) {
      return ok.error();
    }
  }
  const int next = record.attempts.empty() ? 1 : record.attempts.back().number + 1;
  out << "choline: resuming run " << record.id << " as attempt " << next << "\n";
  record.state = RunState::provisioning;
  if (auto ok = record.journal("resumed", {{"attempt", next}}); !ok) return ok.error();
  return execute(record, seams, event::Resumed{false}, env, out);
}

Result<int> show_logs(RunRecord& record, bool follow, const LogQuery& query, std::ostream& out) {
  const HostRecord* node0 = record.current_host(0);
  const int slots = node0 ? node0->host.slots : (record.hosts.empty() ? 1 : record.hosts[0].host.slots);
  LogSink held(record.logs_dir(), &out, slots);
  if (auto ok = check_log_query(record, query, held.offsets(), slots); !ok) return ok.error();
  auto filter = LogFilter::make(query, static_cast<std::int64_t>(std::time(nullptr)));
  if (!filter) return filter.error();
  held.set_echo_filter([filter = std::move(*filter)](int node, int rank, std::string_view line,
                                                     std::optional<std::int64_t> arrived) mutable {
    return filter.keep(node, rank, line, arrived);
  });
  held.set_color(util::colors_wanted(STDOUT_FILENO));
  held.echo_held();  // what is already here, with the same prefixes as live lines
  if (!follow || is_final(record.state)) {
    held.flush_partial_lines();
    return 0;
  }
  auto provider = providers::make_provider(record.options);
  if (!provider) return provider.error();
  // Nobody else is watching this run: record how it ends and give the hosts back. A failure is
  // not retried here; choline resume does that.
  Seams seams = make_seams(**provider, /*may_stop=*/false);
  seams.sink = &held;  // a partial line held from before is completed by the stream, not split
  return execute(record, seams, event::Resumed{true}, {}, out, /*observer=*/true);
}

Result<int> stop(RunRecord& record, std::ostream& out) {
  if (is_final(record.state) && holds_hosts(record)) return release_leftovers(record, out);  // a destroy failed before
  if (is_final(record.state)) {
    out << "choline: run " << record.id << " already " << to_string(record.state) << "\n";
    return 0;
  }
  auto provider = providers::make_provider(record.options);
  if (!provider) return provider.error();
  Seams seams = make_seams(**provider);
  return execute(record, seams, event::StopRequested{}, {}, out);
}

}  // namespace choline::run
