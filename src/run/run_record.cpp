#include <choline/run/run_record.hpp>

#include <choline/run/paths.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>
#include <stdexcept>

namespace choline::run {

namespace {

using nlohmann::json;

json log_base_json(const std::map<int, std::uint64_t>& base) {
  json j = json::object();
  for (const auto& [rank, bytes] : base) j[std::to_string(rank)] = bytes;
  return j;
}

const char* host_state_name(HostState state) {
  switch (state) {
    case HostState::created: return "created";
    case HostState::ready: return "ready";
    case HostState::released: return "released";
  }
  return "created";
}

HostState host_state_from(const std::string& text) {
  if (text == "ready") return HostState::ready;
  if (text == "released") return HostState::released;
  return HostState::created;
}

RunRecord from_json(const json& j) {
  RunRecord r;
  r.id = j.value("id", "");
  r.project_dir = j.value("project_dir", "");
  r.created_at = j.value("created_at", "");
  r.command = j.value("command", std::vector<std::string>{});
  r.entry = j.value("entry", "");
  auto options = spec::run_options_from_json(j.value("options", json::object()));
  if (!options) throw std::runtime_error(options.error().message);
  r.options = *options;
  r.state = run_state_from(j.value("state", "failed")).value_or(RunState::failed);
  r.master_port = j.value("master_port", 0);
  for (const auto& h : j.value("hosts", json::array())) {
    HostRecord host;
    host.node = h.value("node", 0);
    host.host.provider = h.value("provider", "");
    host.host.id = h.value("id", "");
    host.host.address = h.value("address", "");
    host.host.root = h.value("root", "");
    host.host.agent_dir = h.value("agent_dir", "");
    if (host.host.agent_dir.empty()) {  // records written before hosts carried it
      host.host.agent_dir = host.host.provider == "local" ? (choline_home() / "agent").string()
                                                          : host.host.access.value("workdir", ".choline") + "/agent";
    }
    host.host.gpu = h.value("gpu", "");
    host.host.slots = h.value("slots", 1);
    host.host.price_per_hour = h.value("price_per_hour", 0.0);
    host.host.access = h.value("access", json::object());
    host.state = host_state_from(h.value("state", "created"));
    host.agent_pid = h.value("agent_pid", std::int64_t{0});
    host.released_because = h.value("released_because", "");
    const json log_base = h.value("log_base", json::object());  // held: items() refers to it
    for (const auto& [rank, bytes] : log_base.items()) host.log_base[std::stoi(rank)] = bytes.get<std::uint64_t>();
    r.hosts.push_back(host);
  }
  for (const auto& a : j.value("attempts", json::array())) {
    AttemptRecord attempt;
    attempt.number = a.value("number", 1);
    attempt.started_at = a.value("started_at", "");
    attempt.ended_at = a.value("ended_at", "");
    attempt.resume_from = a.value("resume_from", "");
    if (a.contains("exit_code") && !a["exit_code"].is_null()) attempt.exit_code = a["exit_code"].get<int>();
    attempt.outcome = a.value("outcome", "");
    r.attempts.push_back(attempt);
  }
  r.restarts = j.value("restarts", 0);
  for (const auto& l : j.value("host_losses", json::array())) {
    r.host_losses.push_back({l.value("node", 0), l.value("host_id", ""), l.value("reason", ""), l.value("at", "")});
  }
  r.events = j.value("events", json::array());
  return r;
}

}  // namespace

const char* to_string(RunState state) {
  switch (state) {
    case RunState::provisioning: return "provisioning";
    case RunState::running: return "running";
    case RunState::succeeded: return "succeeded";
    case RunState::failed: return "failed";
    case RunState::stopped: return "stopped";
    case RunState::detached: return "detached";
  }
  return "failed";
}

std::optional<RunState> run_state_from(const std::string& text) {
  for (RunState s : {RunState::provisioning, RunState::running, RunState::succeeded, RunState::failed, RunState::stopped,
                     RunState::detached}) {
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
  stem.erase(std::remove_if(stem.begin(), stem.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_'; }),
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

Status RunRecord::save() const { return util::write_file_atomic(file(), to_json().dump(2) + "\n"); }

Status RunRecord::journal(const std::string& type, json fields) {
  fields["type"] = type;
  fields["at"] = util::now_iso8601();
  events.push_back(std::move(fields));
  return save();
}

Result<RunRecord> create_run(const std::filesystem::path& project_dir, RunRecord record) {
  record.dir = runs_dir(project_dir) / record.id;
  std::error_code ec;
  std::filesystem::create_directories(record.logs_dir(), ec);
  std::filesystem::create_directories(record.checkpoints_dir(), ec);
  if (ec) return make_error(ErrorKind::io, "cannot create " + record.dir.string() + ": " + ec.message());
  if (auto ok = record.journal("created"); !ok) return ok.error();
  return record;
}

Result<RunRecord> load_run(const std::filesystem::path& run_dir) {
  auto text = util::read_file(run_dir / "run.json");
  if (!text) return text.error();
  try {
    RunRecord record = from_json(json::parse(*text));
    record.dir = run_dir;
    return record;
  } catch (const std::exception& e) {
    return make_error(ErrorKind::io, (run_dir / "run.json").string() + " is damaged: " + e.what());
  }
}

std::vector<RunRecord> list_runs(const std::filesystem::path& project_dir) {
  std::vector<RunRecord> runs;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(runs_dir(project_dir), ec)) {
    if (auto run = load_run(item.path())) runs.push_back(std::move(*run));
  }
  // created_at has milliseconds; ids share a second and then differ only by a random suffix.
  std::sort(runs.begin(), runs.end(), [](const RunRecord& a, const RunRecord& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
  });
  return runs;
}

Result<RunRecord> find_run(const std::filesystem::path& project_dir, const std::string& id) {
  auto runs = list_runs(project_dir);
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
  if (matches.empty()) return make_error(ErrorKind::not_found, "no run matches '" + id + "'; choline status lists runs");
  return make_error(ErrorKind::usage, "'" + id + "' matches " + std::to_string(matches.size()) + " runs; give more of the id");
}

}  // namespace choline::run
