#include <choline/records/run_record.hpp>

#include <choline/home.hpp>
#include <choline/limits.hpp>
#include <choline/records/paths.hpp>
#include <choline/records/sweep_record.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>
#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>

namespace choline::records {

namespace {

using nlohmann::json;

json log_base_json(const std::map<int, std::uint64_t>& base) {
  json j = json::object();
  for (const auto& [rank, bytes] : base) j[std::to_string(rank)] = bytes;
  return j;
}

const char* host_state_name(HostState state) {
  switch (state) {
    case HostState::created:
      return "created";
    case HostState::ready:
      return "ready";
    case HostState::released:
      return "released";
  }
  return "created";
}

HostState host_state_from(const std::string& text) {
  if (text == "ready") return HostState::ready;
  if (text == "released") return HostState::released;
  return HostState::created;
}

// Every field is type-checked: run.json is the laptop's own file, but a damaged one must be
// reported as damaged, never read into garbage (an exit code of 1e300 cast to int is undefined).
Result<RunRecord> from_json(const json& j) {
  if (!j.is_object()) return make_error(ErrorKind::io, "not an object");
  util::JsonReader in(j, "run");
  RunRecord r;
  r.id = in.string("id");
  r.project_dir = in.string("project_dir");
  r.created_at = in.string("created_at");
  r.command = in.strings("command");
  r.entry = in.string("entry");
  auto options = spec::run_options_from_json(in.object("options"));
  if (!options) return options.error();
  r.options = *options;
  const std::string state = in.string("state", "failed");
  r.state = run_state_from(state).value_or(RunState::failed);
  r.master_port = in.integer("master_port", 0);
  const json hosts = in.array("hosts");
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    util::JsonReader h(hosts[i], "hosts[" + std::to_string(i) + "]");
    HostRecord host;
    host.node = h.integer("node", 0);
    host.host.provider = h.string("provider");
    host.host.id = h.string("id");
    host.host.address = h.string("address");
    host.host.root = h.string("root");
    host.host.access = h.object("access");
    host.host.agent_dir = h.string("agent_dir");
    if (host.host.agent_dir.empty()) {  // records written before hosts carried it
      util::JsonReader access(host.host.access, "access");
      host.host.agent_dir = host.host.provider == "local" ? (choline_home() / "agent").string()
                                                          : access.string("workdir", ".choline") + "/agent";
    }
    host.host.gpu = h.string("gpu");
    host.host.slots = h.integer("slots", 1);
    host.host.price_per_hour = h.number("price_per_hour", 0.0);
    host.state = host_state_from(h.string("state", "created"));
    host.agent_pid = h.int64("agent_pid", 0);
    host.released_because = h.string("released_because");
    const json log_base = h.object("log_base");
    for (const auto& [rank, bytes] : log_base.items()) {
      const auto rank_number = util::parse_uint(rank, 1'000'000);
      if (!rank_number || !bytes.is_number_unsigned())
        return make_error(ErrorKind::io, "hosts[" + std::to_string(i) + "].log_base is damaged");
      host.log_base[static_cast<int>(*rank_number)] = bytes.get<std::uint64_t>();
    }
    if (!h.ok()) return *h.error();
    r.hosts.push_back(host);
  }
  const json attempts = in.array("attempts");
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    util::JsonReader a(attempts[i], "attempts[" + std::to_string(i) + "]");
    AttemptRecord attempt;
    attempt.number = a.integer("number", 1);
    attempt.started_at = a.string("started_at");
    attempt.ended_at = a.string("ended_at");
    attempt.resume_from = a.string("resume_from");
    if (attempts[i].is_object() && attempts[i].contains("exit_code") && !attempts[i]["exit_code"].is_null()) {
      attempt.exit_code = a.integer("exit_code", 0);
    }
    attempt.outcome = a.string("outcome");
    if (!a.ok()) return *a.error();
    r.attempts.push_back(attempt);
  }
  r.restarts = in.integer("restarts", 0);
  const json losses = in.array("host_losses");
  for (std::size_t i = 0; i < losses.size(); ++i) {
    util::JsonReader l(losses[i], "host_losses[" + std::to_string(i) + "]");
    r.host_losses.push_back({l.integer("node", 0), l.string("host_id"), l.string("reason"), l.string("at")});
    if (!l.ok()) return *l.error();
  }
  r.events = in.array("events");
  // Readers of the journal (cost, the lifecycle's snapshot) take "type" and "at" as strings.
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    const json& e = r.events[i];
    const bool ok =
        e.is_object() && e.contains("type") && e["type"].is_string() && (!e.contains("at") || e["at"].is_string());
    if (!ok)
      return make_error(ErrorKind::io, "events[" + std::to_string(i) + "] is not an event with a type and a time");
  }
  if (!in.ok()) return *in.error();
  return r;
}

}  // namespace

const char* to_string(RunState state) {
  switch (state) {
    case RunState::provisioning:
      return "provisioning";
    case RunState::running:
      return "running";
    case RunState::succeeded:
      return "succeeded";
    case RunState::failed:
      return "failed";
    case RunState::stopped:
      return "stopped";
    case RunState::detached:
      return "detached";
  }
  return "failed";
}

std::optional<RunState> run_state_from(const std::string& text) {
  for (RunState s : {RunState::provisioning, RunState::running, RunState::succeeded, RunState::failed,
                     RunState::stopped, RunState::detached}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

bool is_final(RunState state) {
  return state == RunState::succeeded || state == RunState::failed || state == RunState::stopped;
}

std::string new_run_id(const std::string& entry) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::string stem = std::filesystem::path(entry).stem().string();
  stem.erase(
      std::remove_if(stem.begin(), stem.end(),
                     [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_'; }),
      stem.end());
  if (stem.empty()) stem = "run";
  if (stem.size() > 24) stem.resize(24);
  std::random_device random;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", random() & 0xffff);
  return std::string(stamp) + "-" + stem + "-" + suffix;
}

json RunRecord::to_json() const {
  json hosts_json = json::array();
  for (const auto& h : hosts) {
    hosts_json.push_back({{"node", h.node},
                          {"provider", h.host.provider},
                          {"id", h.host.id},
                          {"address", h.host.address},
                          {"root", h.host.root},
                          {"agent_dir", h.host.agent_dir},
                          {"gpu", h.host.gpu},
                          {"slots", h.host.slots},
                          {"price_per_hour", h.host.price_per_hour},
                          {"state", host_state_name(h.state)},
                          {"agent_pid", h.agent_pid},
                          {"access", h.host.access},
                          {"released_because", h.released_because},
                          {"log_base", log_base_json(h.log_base)}});
  }
  json losses_json = json::array();
  for (const auto& l : host_losses) {
    losses_json.push_back({{"node", l.node}, {"host_id", l.host_id}, {"reason", l.reason}, {"at", l.at}});
  }
  json attempts_json = json::array();
  for (const auto& a : attempts) {
    attempts_json.push_back({{"number", a.number},
                             {"started_at", a.started_at},
                             {"ended_at", a.ended_at},
                             {"resume_from", a.resume_from},
                             {"exit_code", a.exit_code ? json(*a.exit_code) : json(nullptr)},
                             {"outcome", a.outcome}});
  }
  return {{"id", id},
          {"project_dir", project_dir},
          {"created_at", created_at},
          {"command", command},
          {"entry", entry},
          {"options", spec::to_json(options)},
          {"state", to_string(state)},
          {"master_port", master_port},
          {"hosts", hosts_json},
          {"attempts", attempts_json},
          {"restarts", restarts},
          {"host_losses", losses_json},
          {"events", events}};
}

HostRecord* RunRecord::current_host(int node) {
  for (auto it = hosts.rbegin(); it != hosts.rend(); ++it) {
    if (it->node == node && it->state != HostState::released) return &*it;
  }
  return nullptr;
}

const HostRecord* RunRecord::current_host(int node) const {
  return const_cast<RunRecord*>(this)->current_host(node);
}

Status RunRecord::save() const {
  // The previous version stays beside it as run.json.prev (a hard link to the old file, so
  // run.json itself never disappears, even for a moment): if run.json is ever damaged, the run
  // and the paid hosts it may hold are not lost with it.
  ::unlink(previous_file().c_str());
  (void)::link(file().c_str(), previous_file().c_str());
  return util::write_file_atomic(file(), util::dump_json(to_json(), 2) + "\n");
}

Status RunRecord::journal(JournalEvent kind, json fields) {
  fields["type"] = to_string(kind);
  fields["at"] = util::now_iso8601();
  events.push_back(std::move(fields));
  return save();
}

Status RunRecord::end_attempt(const std::string& outcome, std::optional<int> exit_code) {
  if (attempts.empty() || !attempts.back().ended_at.empty()) return {};
  AttemptRecord& attempt = attempts.back();
  attempt.ended_at = util::now_iso8601();
  attempt.exit_code = exit_code;
  attempt.outcome = outcome;
  return journal(JournalEvent::attempt_ended, {{"attempt", attempt.number}, {"outcome", outcome}});
}

Result<RunRecord> create_run(const std::filesystem::path& project_dir, RunRecord record) {
  record.dir = runs_dir(project_dir) / record.id;
  std::error_code ec;
  std::filesystem::create_directories(record.logs_dir(), ec);
  std::filesystem::create_directories(record.checkpoints_dir(), ec);
  if (ec) return make_error(ErrorKind::io, "cannot create " + record.dir.string() + ": " + ec.message());
  if (auto ok = record.journal(JournalEvent::created); !ok) return ok.error();
  return record;
}

namespace {

Result<RunRecord> read_record(const std::filesystem::path& file) {
  auto text = util::read_file(file, limits::k_max_json_file);
  if (!text) return text.error();
  auto parsed = util::parse_json(*text, limits::k_max_json_depth);
  if (!parsed) return make_error(ErrorKind::io, parsed.error().message);
  auto record = from_json(*parsed);
  if (!record) return make_error(ErrorKind::io, record.error().message);
  return record;
}

}  // namespace

Result<RunRecord> load_run(const std::filesystem::path& run_dir) {
  const auto file = run_dir / "run.json";
  const auto previous = run_dir / "run.json.prev";
  auto record = read_record(file);
  if (!record) {
    std::error_code ec;
    const bool missing = !std::filesystem::exists(file, ec);
    auto older = read_record(previous);
    if (!older) {
      if (missing && !std::filesystem::exists(previous, ec)) return record.error();
      return make_error(ErrorKind::io, file.string() + " is damaged: " + record.error().message);
    }
    if (!missing) {
      spdlog::warn("{} is damaged ({}); using its previous version, {}: the last event may be missing", file.string(),
                   record.error().message, previous.string());
    }
    record = std::move(older);
  }
  record->dir = run_dir;
  return record;
}

RunList list_runs(const std::filesystem::path& project_dir) {
  RunList list;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(runs_dir(project_dir), ec)) {
    if (!item.is_directory(ec)) continue;
    auto run = load_run(item.path());
    if (run) {
      list.runs.push_back(std::move(*run));
    } else if (run.error().kind != ErrorKind::not_found) {
      list.damaged.push_back({item.path().filename().string(), item.path() / "run.json", run.error().message});
    }
  }
  // created_at has milliseconds; ids share a second and then differ only by a random suffix.
  std::sort(list.runs.begin(), list.runs.end(), [](const RunRecord& a, const RunRecord& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
  });
  std::sort(list.damaged.begin(), list.damaged.end(),
            [](const DamagedRun& a, const DamagedRun& b) { return a.id > b.id; });
  return list;
}

std::string damaged_run_advice(const DamagedRun& run) {
  return "run " + run.id + " cannot be read: " + run.why + ". Its hosts may still be running and billing: " +
         "`choline status --provider all` lists choline-* instances that no readable run holds, and " +
         "`choline stop --orphans --provider all` destroys them (or stop them in the provider's console); " + "move " +
         run.file.parent_path().string() + " away once they are gone.";
}

Result<RunRecord> find_run(const std::filesystem::path& project_dir, const std::string& id) {
  // "SWEEP/7": trial 7 of a sweep, whose run is "SWEEP-t7".
  if (auto trial = trial_run_ref(id)) return find_run(project_dir, *trial);
  auto list = list_runs(project_dir);
  auto& runs = list.runs;
  for (const auto& damaged : list.damaged) {
    if (!id.empty() && (damaged.id == id || damaged.id.find(id) != std::string::npos)) {
      return make_error(ErrorKind::io, damaged_run_advice(damaged));
    }
  }
  if (runs.empty() && !list.damaged.empty()) return make_error(ErrorKind::io, damaged_run_advice(list.damaged.front()));
  if (runs.empty()) {
    return make_error(ErrorKind::not_found, "no runs in " + runs_dir(project_dir).string() +
                                                " (start one with choline train, or use -C to pick the project)");
  }
  if (id.empty()) return runs.front();
  std::vector<RunRecord*> matches;
  for (auto& run : runs) {
    if (run.id == id) return run;
    if (run.id.rfind(id, 0) == 0 || run.id.find(id) != std::string::npos) matches.push_back(&run);
  }
  if (matches.size() == 1) return *matches.front();
  if (matches.empty())
    return make_error(ErrorKind::not_found, "no run matches '" + id + "'; choline status lists runs");
  return make_error(ErrorKind::usage,
                    "'" + id + "' matches " + std::to_string(matches.size()) + " runs; give more of the id");
}

}  // namespace choline::records
