// Making a node's host ready for an attempt (the Prepare action): the agent, the project, the
// data entries, the setup commands and an interpreter with torch. Nodes are prepared in parallel:
// the record is read and changed only under its lock.
#include "execution.hpp"

#include <choline/records/provenance.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <future>

namespace choline::run {

namespace {

// The run settles on `chosen`, an interpreter with torch on the host, in place of `configured`.
Status use_interpreter(Execution& run, const std::string& configured, const std::string& chosen) {
  if (chosen == configured) return {};
  std::lock_guard lock(run.record_mutex);
  records::RunRecord& record = run.record;
  if (record.options.python != configured) return {};  // another node chose already
  spdlog::info("'{}' has no torch; using {}, which has (set \"python\" in choline.json or CHOLINE_PYTHON to choose)",
               record.options.python, chosen);
  if (!record.command.empty() && record.command[0] == record.options.python) record.command[0] = chosen;
  record.options.python = chosen;
  return run.journal_locked(records::JournalEvent::interpreter_chosen, {{"python", chosen}});
}

// The run's interpreter must have torch. On this machine a missing torch is often just the
// wrong python3 first on PATH: another that has it is used instead, and said so. A warm host's
// `known` interpreter (what its preparation found) is not asked again (interpreter_known_on_host).
// Returns the interpreter found to have torch on this host.
Result<std::string> check_python(Execution& run, HostControl& host, bool warm, const std::string& known) {
  const std::string python = [&] {
    std::lock_guard lock(run.record_mutex);
    return run.record.options.python;
  }();
  if (const auto reuse = interpreter_known_on_host(warm, known, python)) {
    spdlog::debug("{}: {} has torch (checked when the host was prepared)", host.host().id, *reuse);
    if (auto ok = use_interpreter(run, python, *reuse); !ok) return ok.error();
    return *reuse;
  }
  auto ok = host.check_python(python);
  if (ok) return python;
  if (!should_try_other_interpreters(ok.error(), run.pool.provider().shares_this_machine())) return ok.error();
  for (const auto& candidate : fallback_interpreters(python)) {
    if (!host.check_python(candidate)) continue;
    if (auto used = use_interpreter(run, python, candidate); !used) return used.error();
    return candidate;
  }
  return ok.error();
}

// The model card's account of the data: the cache's own hashes, and the sizes node 0's host
// reported (a url entry's are known only once downloaded).
std::vector<records::DataProvenance> data_provenance(const std::vector<remote::PreparedData>& data,
                                                     const std::vector<remote::DataStageStats>& staged) {
  std::vector<records::DataProvenance> out;
  for (std::size_t k = 0; k < data.size(); ++k) {
    const remote::PreparedData& item = data[k];
    const bool url = item.entry.kind == spec::ResolvedData::Kind::url;
    records::DataProvenance p;
    p.key = item.entry.key;
    p.path = url ? item.entry.url : item.entry.source.string();
    p.to = item.entry.to;
    p.kind = url ? "url" : (item.local && !item.local->file_name.empty() ? "file" : "directory");
    p.method = url ? "sha256" : "tree-xxh3";
    p.fingerprint = item.fingerprint;
    p.id = item.id;
    if (item.local) {
      p.files = item.local->files;
      p.bytes = item.local->bytes;
    } else if (k < staged.size() && staged[k].id == item.id) {
      p.files = staged[k].files;
      p.bytes = staged[k].bytes;
    }
    out.push_back(std::move(p));
  }
  return out;
}

// What one host holds after staging, journaled: `choline data status` reads it back, and tests
// see what crossed.
nlohmann::json staged_event(int node, const std::string& host_id, const std::vector<remote::DataStageStats>& staged) {
  return {{"node", node}, {"id", host_id}, {"entries", remote::staged_json(staged)}};
}

}  // namespace

Status prepare_data_early(Execution& run) {
  auto data = run.data();
  if (!data) return data.error();
  return {};
}

Event prepare(Execution& run, int node) {
  // Not a structured binding: clang 14 (the sanitized build's) cannot capture one in a lambda.
  std::string host_id;
  bool warm = false;
  std::string known_python;  // the interpreter a warm host's preparation found torch in
  {
    std::lock_guard lock(run.record_mutex);
    host_id = run.record.current_host(node)->host.id;
    if (auto it = run.warm_hosts.find(host_id); it != run.warm_hosts.end()) {
      warm = true;
      known_python = it->second;
    }
  }
  HostControl& host = run.control(node);
  const auto fail = [&](const Error& error) -> Event {
    return event::PrepareFailed{node, error.with_context(host_id)};
  };
  // A warm host (a pool's, prepared the same way for an earlier run) has the agent and the setup.
  if (!warm) {
    if (auto ok = host.install_agent(); !ok) return fail(ok.error().with_context("installing the agent"));
  }
  // The data entries as scanned once for the run (a wrong path failed the run before renting).
  auto data = run.data();
  if (!data) return event::PrepareFailed{node, data.error()};
  // The project's git state for node 0's model cards, taken while the project and data travel:
  // git's few processes would otherwise be waited for between a sweep's trials.
  std::future<nlohmann::json> git;
  if (node == 0) git = std::async(std::launch::async, records::git_state, run.record.project_dir);
  // Data travels on its own: the project push leaves the entries' sources and `to` paths alone.
  auto pushed = host.push(run.record.project_dir, run.push_ignores());
  if (!pushed) return fail(pushed.error().with_context("pushing the project"));
  spdlog::debug("{}: pushed {} of {} files in {:.2f}s", host_id, pushed->files_transferred, pushed->files_total,
                pushed->seconds);
  for (const auto& error : pushed->errors) spdlog::warn("{}: {}", host_id, error);
  // Every host gets the data before its first attempt, warm pool hosts and replacements too: a
  // host whose cache holds the version receives nothing.
  std::vector<remote::DataStageStats> staged;
  if (!(*data)->empty()) {
    remote::DataStageOptions options;
    options.cache_gb = run.record.options.data_cache_gb;
    options.env = run.job_env;
    auto result = host.stage_data(**data, options);
    if (!result) return event::PrepareFailed{node, result.error()};  // names the host and the entry
    staged = std::move(*result);
    if (auto ok = run.journal(records::JournalEvent::data_staged, staged_event(node, host_id, staged)); !ok) {
      return event::PrepareFailed{node, ok.error()};
    }
  }
  // The code and data as node 0 (whose checkpoints come home) has them, for model cards.
  if (node == 0) records::record_provenance(run.record, data_provenance(**data, staged), git.get());
  if (!warm) {
    if (auto ok = host.run_setup(run.record.options.setup, run.record.options.python, run.out); !ok) {
      return event::PrepareFailed{node, ok.error()};
    }
  }
  // After setup, which may be what installs torch. A warm host was checked when it was prepared for
  // this same setup and interpreter: the pool remembers what it found, so a sweep's next trial
  // pays no round trip for it.
  std::string python;
  if (util::ends_with(run.record.entry, ".py")) {
    auto checked = check_python(run, host, warm, known_python);
    if (!checked) return event::PrepareFailed{node, checked.error()};
    python = *checked;
  }
  run.pool.prepared(host.host(), run.preparation, python);
  return event::Prepared{node};
}

}  // namespace choline::run
