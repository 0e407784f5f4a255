// `choline data status` and `choline data push`: the project's data entries as the hosts' caches
// name them, which hosts of the project's runs hold which version (from the runs' journals), and
// staging the data on an ssh host ahead of training.
#include <choline/agent/data_cache_policy.hpp>
#include <choline/cli/command.hpp>
#include <choline/cli/run_flags.hpp>
#include <choline/home.hpp>
#include <choline/records/run_record.hpp>
#include <choline/remote/data_push.hpp>
#include <choline/remote/remote_agent.hpp>
#include <choline/spec/config.hpp>
#include <choline/spec/data_entry.hpp>
#include <choline/ssh/ssh_transport.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/progress.hpp>
#include <choline/util/strings.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>

namespace choline::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// One host's copy of an entry, as the newest journal of the project's runs that staged it says.
struct HeldCopy {
  std::string host;
  std::string run;
  std::string id;
  std::string at;
};

// By the entry's `to` path (the key of an entry may have moved in choline.json), then by host.
using HeldCopies = std::map<std::string, std::map<std::string, HeldCopy>>;

constexpr const char* k_this_machine = "this machine (local provider)";

// Rented hosts are gone once released; an ssh or local host keeps its cache.
bool keeps_cache(const records::RunRecord& run, const std::string& host_id) {
  if (run.options.provider == "ssh" || run.options.provider == "local") return true;
  for (const auto& host : run.hosts) {
    if (host.host.id == host_id && host.state != records::HostState::released) return true;
  }
  return false;
}

// What `choline data push` staged, one JSON line per push: {"host", "at", "entries": [{"to", "id"}]}.
fs::path pushes_file(const fs::path& project_dir) {
  return project_dir / ".choline" / "data-pushes.jsonl";
}

void note_push(const fs::path& project_dir, const std::string& host,
               const std::vector<remote::DataStageStats>& staged) {
  json entries = json::array();
  for (const auto& s : staged) entries.push_back({{"to", s.to}, {"id", s.id}});
  std::error_code ec;
  fs::create_directories(pushes_file(project_dir).parent_path(), ec);
  std::ofstream out(pushes_file(project_dir), std::ios::app);
  out << json{{"host", host}, {"at", util::now_iso8601()}, {"entries", entries}}.dump() << "\n";
}

HeldCopies held_copies(const fs::path& project_dir) {
  HeldCopies held;
  // The newest word on a host wins, whether a push's or a run's.
  const auto note = [&](const std::string& to, HeldCopy copy) {
    auto& copies = held[to];
    auto it = copies.find(copy.host);
    if (it == copies.end() || it->second.at <= copy.at) copies[copy.host] = std::move(copy);
  };
  std::ifstream pushes(pushes_file(project_dir));
  for (std::string line; std::getline(pushes, line);) {
    const json push = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!push.is_object() || !push.contains("entries") || !push["entries"].is_array()) continue;
    const std::string host = push.value("host", "");
    for (const auto& entry : push["entries"]) {
      if (entry.is_object() && !host.empty())
        note(entry.value("to", ""), {host, "", entry.value("id", ""), push.value("at", "")});
    }
  }
  auto list = records::list_runs(project_dir);
  for (auto run = list.runs.rbegin(); run != list.runs.rend(); ++run) {
    for (const auto& event : run->events) {
      if (!records::is_event(event, records::JournalEvent::data_staged)) continue;
      const std::string id = event.value("id", "");
      if (id.empty() || !event.contains("entries") || !event["entries"].is_array()) continue;
      const bool kept = keeps_cache(*run, id);
      // Every local "host" of every run shares this machine's one cache.
      const std::string host = run->options.provider == "local" ? std::string(k_this_machine) : id;
      for (const auto& entry : event["entries"]) {
        if (!entry.is_object()) continue;
        const std::string to = entry.value("to", "");
        if (!kept) {
          held[to].erase(host);
          continue;
        }
        note(to, {host, run->id, entry.value("id", ""), event.value("at", "")});
      }
    }
  }
  return held;
}

std::string short_id(const std::string& id) {
  return id.size() > 21 ? id.substr(0, 21) : id;
}

// The config's data entries, resolved and scanned (a path's hashes are remembered, so this is
// cheap for an unchanged dataset).
Result<std::vector<remote::PreparedData>> project_data(const spec::Config& options, const fs::path& project_dir) {
  if (options.data_entries.empty()) {
    return make_error(ErrorKind::usage,
                      "choline.json names no \"data\"; list datasets there, e.g. \"data\": [\"data\", "
                      "{\"path\": \"~/datasets/x\", \"to\": \"data/x\"}]");
  }
  auto resolved = spec::resolve_data_entries(options.data_entries, project_dir, user_home());
  if (!resolved) return resolved.error();
  return remote::prepare_data(*resolved, project_dir, options.ignore);
}

class DataCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.require_subcommand(1);
    m_status =
        app.add_subcommand("status", "The data entries with their versions and sizes, and which hosts hold them");
    m_status->add_flag("--json", m_json, "Print it as JSON");
    m_push = app.add_subcommand("push", "Stage the data entries on an ssh host ahead of training");
    m_push
        ->add_option("--host", m_host,
                     "The host: one of choline.json's \"hosts\" (host, user@host or host:port), or [user@]host[:port]")
        ->required();
    m_push->add_flag("--json", m_json, "Print what was staged as JSON");
  }

  Result<int> run(CommandContext& context) override {
    // choline.json alone: neither command rents anything, so no GPU spec or provider is needed.
    const fs::path config_path = context.global.config_path.empty()
                                     ? fs::path(context.global.project_dir) / spec::k_config_file_name
                                     : fs::path(context.global.config_path);
    auto options = spec::load_config_file(config_path);
    if (!options) return std::move(options).error();
    const fs::path project_dir = fs::absolute(context.global.project_dir).lexically_normal();
    auto data = project_data(*options, project_dir);
    if (!data) return std::move(data).error();
    if (m_status->parsed()) return status(context, *data, project_dir);
    return push(context, *options, *data, project_dir);
  }

 private:
  Result<int> status(CommandContext& context, const std::vector<remote::PreparedData>& data,
                     const fs::path& project_dir) const {
    const HeldCopies held = held_copies(project_dir);
    json list = json::array();
    for (const auto& item : data) {
      const bool url = item.entry.kind == spec::ResolvedData::Kind::url;
      json hosts = json::array();
      if (auto it = held.find(item.entry.to); it != held.end()) {
        for (const auto& [host, copy] : it->second) {
          hosts.push_back(
              {{"host", host}, {"run", copy.run}, {"id", copy.id}, {"current", copy.id == item.id}, {"at", copy.at}});
        }
      }
      json entry = {{"key", item.entry.key},
                    {"source", url ? item.entry.url : item.entry.source.string()},
                    {"to", item.entry.to},
                    {"kind", url ? "url" : (item.local && !item.local->file_name.empty() ? "file" : "directory")},
                    {"id", item.id},
                    {"fingerprint", item.fingerprint},
                    {"files", item.local ? json(item.local->files) : json(nullptr)},
                    {"bytes", item.local ? json(item.local->bytes) : json(nullptr)},
                    {"hosts", hosts}};
      list.push_back(std::move(entry));
    }
    if (m_json) {
      context.out << json{{"entries", list}}.dump(2) << "\n";
      return 0;
    }
    for (const auto& entry : list) {
      const std::string size = entry["files"].is_null()
                                   ? std::string("size known once downloaded")
                                   : std::to_string(entry["files"].get<std::uint64_t>()) + " files, " +
                                         util::format_bytes(entry["bytes"].get<std::uint64_t>());
      context.out << entry["key"].get<std::string>() << "  " << entry["source"].get<std::string>() << " -> "
                  << entry["to"].get<std::string>() << "\n"
                  << "  version " << short_id(entry["id"]) << " (" << entry["kind"].get<std::string>() << ", " << size
                  << ")\n";
      if (entry["hosts"].empty()) {
        context.out << "  held by no host of this project's runs yet\n";
        continue;
      }
      for (const auto& host : entry["hosts"]) {
        context.out << "  " << host["host"].get<std::string>() << ": "
                    << (host["current"].get<bool>() ? "this version" : "another version (" + short_id(host["id"]) + ")")
                    << (host["run"].get<std::string>().empty() ? std::string(", pre-staged by choline data push")
                                                               : ", staged by run " + host["run"].get<std::string>())
                    << "\n";
      }
    }
    return 0;
  }

  // The host as the ssh provider would reach it: a choline.json entry when one matches (its user,
  // key and workdir, so runs find the same cache), else the address as given.
  Result<spec::HostEntry> host_entry(const spec::Config& options) const {
    for (const auto& entry : options.hosts) {
      const std::string port = std::to_string(entry.port);
      for (const std::string& name : {entry.host, entry.user + "@" + entry.host, entry.host + ":" + port,
                                      entry.user + "@" + entry.host + ":" + port}) {
        if (name == m_host) return entry;
      }
    }
    auto parsed = transport::parse_endpoint(m_host + ":/");
    if (!parsed || !parsed->remote) {
      return make_error(ErrorKind::usage, "--host " + m_host + ": not a host of choline.json nor [user@]host[:port]");
    }
    spec::HostEntry entry;
    entry.host = parsed->remote->host;
    entry.port = parsed->remote->port;
    entry.user = parsed->remote->user.empty() ? entry.user : parsed->remote->user;
    return entry;
  }

  Result<int> push(CommandContext& context, const spec::Config& options, const std::vector<remote::PreparedData>& data,
                   const fs::path& project_dir) const {
    auto entry = host_entry(options);
    if (!entry) return std::move(entry).error();
    // The ssh provider's id of the host, as the runs' journals name it.
    const std::string label = entry->user + "@" + entry->host + ":" + std::to_string(entry->port);
    ssh::Options ssh_options;
    ssh_options.identity = expand_home(entry->identity);
    ssh_options.known_hosts = known_hosts_file().string();
    auto transport = ssh::connect({entry->user, entry->host, entry->port}, ssh_options);
    if (!transport) return std::move(transport).error();
    const std::string agent_dir = entry->workdir + "/agent";
    if (auto ok = remote::install_remote_agent(**transport, agent_dir, label); !ok) return ok.error();
    // Staged outside any run: the links land in a directory of their own; the cache is the one
    // every run on this host uses.
    const std::string root = entry->workdir + "/prestage";
    const remote::DataHost host{transport->get(),
                                {remote::remote_agent_path(agent_dir), "agent"},
                                agent::data_cache_dir(agent_dir),
                                root + "/project",
                                root,
                                label};
    remote::DataStageOptions stage_options;
    stage_options.cache_gb = options.data_cache_gb;
    stage_options.env = forwarded_env(options.env);
    auto staged = remote::stage_data(host, data, stage_options);
    if (!staged) return std::move(staged).error();
    note_push(project_dir, label, *staged);
    if (m_json) {
      context.out << json{{"host", label}, {"entries", remote::staged_json(*staged)}}.dump(2) << "\n";
    } else {
      for (const auto& s : *staged) {
        context.out << label << ": " << s.key << " -> " << s.to << ": " << remote::to_string(s.action) << " ("
                    << short_id(s.id) << ")\n";
      }
    }
    return 0;
  }

  CLI::App* m_status = nullptr;
  CLI::App* m_push = nullptr;
  bool m_json = false;
  std::string m_host;
};

}  // namespace

std::unique_ptr<Command> make_data_command() {
  return std::make_unique<DataCommand>();
}

}  // namespace choline::cli
