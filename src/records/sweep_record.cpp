// sweep.json: written whole and atomically at every change (like run.json), read back
// type-checked. The trials' own records are runs (run_record.cpp).
#include <choline/records/sweep_record.hpp>

#include <choline/limits.hpp>
#include <choline/records/cost.hpp>
#include <choline/records/paths.hpp>
#include <choline/records/run_record.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>
#include <choline/util/json.hpp>

#include <unistd.h>
#include <algorithm>

namespace choline::records {

namespace {

using nlohmann::json;

json pool_host_json(const PoolHostRecord& h) {
  return {{"provider", h.host.provider},
          {"id", h.host.id},
          {"address", h.host.address},
          {"root", h.host.root},
          {"agent_dir", h.host.agent_dir},
          {"gpu", h.host.gpu},
          {"slots", h.host.slots},
          {"price_per_hour", h.host.price_per_hour},
          {"access", h.host.access},
          {"rented_at", h.rented_at},
          {"released_at", h.released_at},
          {"released_because", h.released_because},
          {"release_failed", h.release_failed}};
}

json optional_number(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

json trial_json(const TrialRecord& t) {
  return {{"id", t.id},
          {"params", t.params},
          {"state", to_string(t.state)},
          {"run_id", t.run_id},
          {"rung", t.rung},
          {"why", t.why},
          {"best", optional_number(t.best)},
          {"latest", optional_number(t.latest)},
          {"resource", t.resource},
          {"host", t.host},
          {"cost", t.cost},
          {"tries", t.tries},
          {"started_at", t.started_at},
          {"ended_at", t.ended_at},
          {"perturbed_at", t.perturbed_at},
          {"copies", copies_json(t.copies)}};
}

std::optional<double> read_optional_number(const json& object, const char* key) {
  if (!object.contains(key) || !object[key].is_number()) return std::nullopt;
  return object[key].get<double>();
}

Result<SweepRecord> sweep_from_json(const json& j) {
  if (!j.is_object()) return make_error(ErrorKind::io, "not an object");
  util::JsonReader in(j, "sweep");
  SweepRecord r;
  r.id = in.string("id");
  r.project_dir = in.string("project_dir");
  r.created_at = in.string("created_at");
  r.source = in.object("source");
  r.entry = in.string("entry");
  auto options = spec::run_options_from_json(in.object("options"));
  if (!options) return options.error();
  r.options = *options;
  r.parallel = in.integer("parallel", 1);
  r.max_trials = in.integer("max_trials", 0);
  r.max_cost = read_optional_number(j, "max_cost");
  r.seed = in.uint64("seed", 0);
  r.metric = in.string("metric");
  r.maximize = in.boolean("maximize", false);
  const std::string state = in.string("state", "running");
  r.state = state == "finished"  ? SweepState::finished
            : state == "stopped" ? SweepState::stopped
            : state == "failed"  ? SweepState::failed
                                 : SweepState::running;
  r.reason = in.string("reason");
  const json hosts = in.array("hosts");
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    util::JsonReader h(hosts[i], "hosts[" + std::to_string(i) + "]");
    PoolHostRecord host;
    host.host.provider = h.string("provider");
    host.host.id = h.string("id");
    host.host.address = h.string("address");
    host.host.root = h.string("root");
    host.host.agent_dir = h.string("agent_dir");
    host.host.gpu = h.string("gpu");
    host.host.slots = h.integer("slots", 1);
    host.host.price_per_hour = h.number("price_per_hour", 0.0);
    host.host.access = h.object("access");
    host.rented_at = h.string("rented_at");
    host.released_at = h.string("released_at");
    host.released_because = h.string("released_because");
    host.release_failed = h.boolean("release_failed", false);
    if (!h.ok()) return *h.error();
    r.hosts.push_back(std::move(host));
  }
  const json trials = in.array("trials");
  for (std::size_t i = 0; i < trials.size(); ++i) {
    util::JsonReader t(trials[i], "trials[" + std::to_string(i) + "]");
    TrialRecord trial;
    trial.id = t.integer("id", 0);
    trial.params = t.object("params");
    const std::string status = t.string("state", "queued");
    const auto parsed = trial_status_from(status);
    if (!parsed)
      return make_error(ErrorKind::io, "trials[" + std::to_string(i) + "].state '" + status + "' is unknown");
    trial.state = *parsed;
    trial.run_id = t.string("run_id");
    trial.rung = t.integer("rung", -1);
    trial.why = t.string("why");
    trial.best = read_optional_number(trials[i], "best");
    trial.latest = read_optional_number(trials[i], "latest");
    trial.resource = t.int64("resource", 0);
    trial.host = t.string("host");
    trial.cost = t.number("cost", 0.0);
    trial.tries = t.integer("tries", 0);
    trial.started_at = t.string("started_at");
    trial.ended_at = t.string("ended_at");
    trial.perturbed_at = t.int64("perturbed_at", 0);
    const json copies = t.array("copies");
    for (std::size_t k = 0; k < copies.size(); ++k) {
      util::JsonReader c(copies[k], "trials[" + std::to_string(i) + "].copies[" + std::to_string(k) + "]");
      PbtCopyRecord copy;
      copy.resource = c.int64("resource", 0);
      copy.from_trial = c.integer("from_trial", 0);
      copy.params_before = c.object("params_before");
      copy.at = c.string("at");
      if (!c.ok()) return *c.error();
      trial.copies.push_back(std::move(copy));
    }
    if (!t.ok()) return *t.error();
    r.trials.push_back(std::move(trial));
  }
  if (!in.ok()) return *in.error();
  return r;
}

}  // namespace

nlohmann::json copies_json(const std::vector<PbtCopyRecord>& copies) {
  json list = json::array();
  for (const auto& c : copies) {
    list.push_back(
        {{"from_trial", c.from_trial}, {"resource", c.resource}, {"params_before", c.params_before}, {"at", c.at}});
  }
  return list;
}

const char* to_string(TrialStatus status) {
  switch (status) {
    case TrialStatus::queued:
      return "queued";
    case TrialStatus::running:
      return "running";
    case TrialStatus::stopped:
      return "stopped";
    case TrialStatus::finished:
      return "finished";
    case TrialStatus::failed:
      return "failed";
    case TrialStatus::lost:
      return "lost";
  }
  return "queued";
}

std::optional<TrialStatus> trial_status_from(const std::string& text) {
  for (auto status : {TrialStatus::queued, TrialStatus::running, TrialStatus::stopped, TrialStatus::finished,
                      TrialStatus::failed, TrialStatus::lost}) {
    if (text == to_string(status)) return status;
  }
  return std::nullopt;
}

bool is_final(TrialStatus status) {
  return status == TrialStatus::stopped || status == TrialStatus::finished || status == TrialStatus::failed;
}

const char* to_string(SweepState state) {
  switch (state) {
    case SweepState::running:
      return "running";
    case SweepState::finished:
      return "finished";
    case SweepState::stopped:
      return "stopped";
    case SweepState::failed:
      return "failed";
  }
  return "running";
}

TrialRecord* SweepRecord::trial(int trial_id) {
  for (auto& t : trials) {
    if (t.id == trial_id) return &t;
  }
  return nullptr;
}

const TrialRecord* SweepRecord::trial(int trial_id) const {
  return const_cast<SweepRecord*>(this)->trial(trial_id);
}

PoolHostRecord* SweepRecord::host(const std::string& host_id) {
  for (auto& h : hosts) {
    if (h.host.id == host_id) return &h;
  }
  return nullptr;
}

std::string SweepRecord::trial_run_id(int trial_id) const {
  return id + "-t" + std::to_string(trial_id);
}

double SweepRecord::spent(double now_epoch_s) const {
  double total = 0;
  for (const auto& h : hosts) {
    const auto from = parse_iso8601(h.rented_at);
    const auto to = h.released_at.empty() ? std::optional<double>(now_epoch_s) : parse_iso8601(h.released_at);
    if (!from || !to) continue;
    total += std::max(0.0, *to - *from) / 3600.0 * h.host.price_per_hour;
  }
  return total;
}

json SweepRecord::to_json() const {
  json hosts_json = json::array();
  for (const auto& h : hosts) hosts_json.push_back(pool_host_json(h));
  json trials_json = json::array();
  for (const auto& t : trials) trials_json.push_back(trial_json(t));
  return {{"id", id},
          {"project_dir", project_dir},
          {"created_at", created_at},
          {"source", source},
          {"entry", entry},
          {"options", spec::to_json(options)},
          {"parallel", parallel},
          {"max_trials", max_trials},
          {"max_cost", optional_number(max_cost)},
          {"seed", seed},
          {"metric", metric},
          {"maximize", maximize},
          {"state", to_string(state)},
          {"reason", reason},
          {"hosts", hosts_json},
          {"trials", trials_json}};
}

Status SweepRecord::save() const {
  // As run.json: the version before stays beside it, so a damaged file loses one change at most.
  const auto previous = dir / "sweep.json.prev";
  ::unlink(previous.c_str());
  (void)::link(file().c_str(), previous.c_str());
  return util::write_file_atomic(file(), util::dump_json(to_json(), 2) + "\n");
}

std::filesystem::path sweeps_dir(const std::filesystem::path& project_dir) {
  return project_dir / ".choline" / "sweeps";
}

std::string new_sweep_id(const std::string& entry) {
  return "sweep-" + new_run_id(entry);
}

Result<SweepRecord> create_sweep(const std::filesystem::path& project_dir, SweepRecord record) {
  record.dir = sweeps_dir(project_dir) / record.id;
  std::error_code ec;
  if (std::filesystem::exists(record.file(), ec))
    return make_error(ErrorKind::usage, "sweep " + record.id + " exists already");
  std::filesystem::create_directories(record.dir, ec);
  if (ec) return make_error(ErrorKind::io, "cannot create " + record.dir.string() + ": " + ec.message());
  if (record.created_at.empty()) record.created_at = util::now_iso8601();
  if (auto ok = record.save(); !ok) return ok.error();
  return record;
}

Result<SweepRecord> load_sweep(const std::filesystem::path& sweep_dir) {
  const auto read = [](const std::filesystem::path& file) -> Result<SweepRecord> {
    auto text = util::read_file(file, limits::k_max_json_file);
    if (!text) return text.error();
    auto parsed = util::parse_json(*text, limits::k_max_json_depth);
    if (!parsed) return make_error(ErrorKind::io, file.string() + " is damaged: " + parsed.error().message);
    auto record = sweep_from_json(*parsed);
    if (!record) return make_error(ErrorKind::io, file.string() + " is damaged: " + record.error().message);
    return record;
  };
  auto record = read(sweep_dir / "sweep.json");
  if (!record && record.error().kind != ErrorKind::not_found) {
    if (auto older = read(sweep_dir / "sweep.json.prev")) record = std::move(older);
  }
  if (!record) return record.error();
  record->dir = sweep_dir;
  return record;
}

std::vector<std::string> list_sweeps(const std::filesystem::path& project_dir) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(sweeps_dir(project_dir), ec)) {
    if (item.is_directory(ec) && std::filesystem::exists(item.path() / "sweep.json", ec))
      ids.push_back(item.path().filename().string());
  }
  // Ids start with the time they were made.
  std::sort(ids.rbegin(), ids.rend());
  return ids;
}

Result<SweepRecord> find_sweep(const std::filesystem::path& project_dir, const std::string& id) {
  const auto ids = list_sweeps(project_dir);
  if (ids.empty()) {
    return make_error(ErrorKind::not_found, "no sweeps in " + sweeps_dir(project_dir).string() +
                                                " (start one with choline sweep, or use -C to pick the project)");
  }
  if (id.empty()) return load_sweep(sweeps_dir(project_dir) / ids.front());
  std::vector<std::string> matches;
  for (const auto& candidate : ids) {
    if (candidate == id) return load_sweep(sweeps_dir(project_dir) / candidate);
    if (candidate.find(id) != std::string::npos) matches.push_back(candidate);
  }
  if (matches.size() == 1) return load_sweep(sweeps_dir(project_dir) / matches.front());
  if (matches.empty())
    return make_error(ErrorKind::not_found, "no sweep matches '" + id + "'; choline sweep status lists sweeps");
  return make_error(ErrorKind::usage,
                    "'" + id + "' matches " + std::to_string(matches.size()) + " sweeps; give more of the id");
}

std::optional<std::string> trial_run_ref(const std::string& ref) {
  const auto slash = ref.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == ref.size()) return std::nullopt;
  const std::string number = ref.substr(slash + 1);
  if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }) || number.size() > 9)
    return std::nullopt;
  return ref.substr(0, slash) + "-t" + std::to_string(std::stoi(number));
}

}  // namespace choline::records
