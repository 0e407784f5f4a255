#include <choline/report/model_card.hpp>

#include <choline/report/metric_series.hpp>
#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

namespace choline::report {

namespace {

using nlohmann::json;

// The number after `word` in `name` ("step-1200", "Step_7", "epoch0003"), if any.
std::optional<std::int64_t> number_after(const std::string& name, std::string_view word) {
  const std::string lower = util::to_lower(name);
  for (std::size_t at = lower.find(word); at != std::string::npos; at = lower.find(word, at + 1)) {
    std::size_t k = at + word.size();
    if (k < lower.size() && (lower[k] == '-' || lower[k] == '_' || lower[k] == '.')) ++k;
    std::size_t end = k;
    while (end < lower.size() && std::isdigit(static_cast<unsigned char>(lower[end])) && end - k < 15) ++end;
    if (end > k) return std::stoll(lower.substr(k, end - k));
  }
  return std::nullopt;
}

json host_json(const records::HostRecord& host) {
  return {{"node", host.node},
          {"id", host.host.id},
          {"address", host.host.address},
          {"provider", host.host.provider},
          {"gpu", host.host.gpu},
          {"slots", host.host.slots},
          {"price_per_hour", host.host.price_per_hour}};
}

json field(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? json(nullptr) : *it;
}

std::string as_text(const json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 4) {
    bytes /= 1000;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[unit]);
}

std::string short_hash(const json& value) {
  const std::string text = as_text(value);
  return text.size() > 16 ? text.substr(0, 16) : text;
}

}  // namespace

std::optional<CheckpointStep> checkpoint_step(const std::string& checkpoint_name,
                                              const std::vector<records::MetricPoint>& history,
                                              std::optional<std::int64_t> pulled_at_step) {
  const std::string base = checkpoint_name.substr(checkpoint_name.rfind('/') + 1);
  if (auto step = number_after(base, "step")) return CheckpointStep{*step, "step in the file name"};
  if (auto epoch = number_after(base, "epoch")) {
    std::optional<std::int64_t> last;
    for (const auto& point : history) {
      const auto it = point.values.find("epoch");
      if (it != point.values.end() && it->is_number() && it->get<double>() == static_cast<double>(*epoch))
        last = point.step;
    }
    if (last) return CheckpointStep{*last, "epoch in the file name"};
  }
  if (pulled_at_step) return CheckpointStep{*pulled_at_step, "newest step when pulled"};
  return std::nullopt;
}

std::vector<records::HostRecord> hosts_of_attempt(const records::RunRecord& record, int attempt) {
  std::map<int, std::string> serving;  // node -> host id, as the journal goes
  std::optional<std::map<int, std::string>> at_start;
  for (const auto& event : record.events) {
    if (!event.is_object()) continue;
    const auto type = records::kind_of(event);
    if (type == records::JournalEvent::host_created && event.contains("node") && event["node"].is_number_integer()) {
      serving[event["node"].get<int>()] = util::json_text(event, "id");
    } else if (type == records::JournalEvent::host_released) {
      const std::string id = util::json_text(event, "id");
      for (auto it = serving.begin(); it != serving.end();) it = it->second == id ? serving.erase(it) : std::next(it);
    } else if (type == records::JournalEvent::attempt_started && event.contains("attempt") && util::json_int(event["attempt"]) == attempt) {
      at_start = serving;
    }
  }
  std::vector<records::HostRecord> hosts;
  if (!at_start) {
    for (const auto& host : record.hosts) {
      if (host.state != records::HostState::released) hosts.push_back(host);
    }
    return hosts;
  }
  for (const auto& [node, id] : *at_start) {
    // The last record of that id: a marketplace may reuse ids across a run's hosts.
    for (auto it = record.hosts.rbegin(); it != record.hosts.rend(); ++it) {
      if (it->host.id == id && it->node == node) {
        hosts.push_back(*it);
        break;
      }
    }
  }
  return hosts;
}

json build_model_card(const records::RunRecord& record, const std::vector<records::MetricPoint>& history,
                      const CardFacts& facts) {
  json card;
  card["schema"] = k_card_schema;
  card["checkpoint"] = {{"name", facts.checkpoint.name},
                        {"path", record.options.checkpoint_dir + "/" + facts.checkpoint.name},
                        {"home", facts.checkpoint_home},
                        {"size", facts.checkpoint.size},
                        {"xxh3", facts.checkpoint.xxh3}};
  card["run"] = {{"id", record.id},
                 {"project_dir", record.project_dir},
                 {"attempt", facts.attempt},
                 {"run_created_at", record.created_at}};

  card["command"] = record.command;
  card["entry"] = record.entry.empty() ? json(nullptr) : json(record.entry);
  std::vector<std::string> arguments;
  const auto entry_at = record.entry.empty() ? record.command.end()
                                             : std::find(record.command.begin(), record.command.end(), record.entry);
  if (entry_at != record.command.end()) {
    arguments.assign(entry_at + 1, record.command.end());
  } else if (!record.command.empty()) {
    arguments.assign(record.command.begin() + 1, record.command.end());
  }
  card["arguments"] = arguments;

  const json& p = facts.provenance;
  card["code"] = field(p, "git");
  card["config_file"] = field(p, "config_file");
  card["config"] = field(p, "config");
  card["purpose"] = field(p, "purpose");
  card["preprocessing"] = field(p, "preprocessing");
  card["data"] = field(p, "data");
  card["provenance_captured_at"] = field(p, "captured_at");

  if (auto step = checkpoint_step(facts.checkpoint.name, history, facts.pulled_at_step)) {
    card["metrics"] = {{"step", step->step}, {"basis", step->basis}, {"values", values_at(history, step->step)}};
  } else {
    card["metrics"] = nullptr;
  }
  card["pulled_at_step"] = facts.pulled_at_step ? json(*facts.pulled_at_step) : json(nullptr);

  const auto hosts = hosts_of_attempt(record, facts.attempt);
  json hosts_json = json::array();
  int slots = 0;
  double per_hour = 0;
  for (const auto& host : hosts) {
    hosts_json.push_back(host_json(host));
    slots += host.host.slots;
    per_hour += host.host.price_per_hour;
  }
  card["hardware"] = {{"provider", record.options.provider},
                      {"gpu", record.options.spec.gpu},
                      {"gpus_per_host", record.options.spec.count},
                      {"nodes", record.options.spec.nodes},
                      {"workers", slots},
                      {"price_per_hour", per_hour},
                      {"hosts", hosts_json}};
  card["created_at"] = facts.created_at;
  return card;
}

std::string format_model_card(const json& card) {
  std::vector<std::pair<std::string, std::string>> rows;
  const json checkpoint = field(card, "checkpoint");
  const json size = field(checkpoint, "size");
  rows.emplace_back("checkpoint", fmt::format("{} ({}, xxh3 {})", as_text(field(checkpoint, "path")),
                                              size.is_number() ? human_bytes(size.get<double>()) : "size unknown",
                                              as_text(field(checkpoint, "xxh3"))));
  rows.emplace_back("pulled to", as_text(field(checkpoint, "home")));
  const json run = field(card, "run");
  rows.emplace_back("run", fmt::format("{}, attempt {}", as_text(field(run, "id")), as_text(field(run, "attempt"))));
  rows.emplace_back("project", as_text(field(run, "project_dir")));
  std::vector<std::string> command;
  if (field(card, "command").is_array()) {
    for (const auto& word : card["command"]) command.push_back(as_text(word));
  }
  rows.emplace_back("command", util::join(command, " "));

  const json code = field(card, "code");
  if (code.is_object() && field(code, "commit").is_string()) {
    std::string text = "git " + as_text(field(code, "commit"));
    if (field(code, "branch").is_string()) text += " on " + as_text(field(code, "branch"));
    const json dirty = field(code, "dirty");
    if (dirty.is_boolean())
      text += dirty.get<bool>() ? ", dirty (diff xxh3 " + short_hash(field(code, "diff_xxh3")) + ")" : ", clean";
    rows.emplace_back("code", text);
  } else if (code.is_object() && field(code, "root").is_string()) {
    rows.emplace_back("code", "git repository without commits");
  } else {
    rows.emplace_back("code", "not a git repository");
  }
  if (!field(card, "purpose").is_null()) rows.emplace_back("purpose", as_text(card["purpose"]));
  if (!field(card, "preprocessing").is_null()) rows.emplace_back("preprocessing", as_text(card["preprocessing"]));
  const json data = field(card, "data");
  if (data.is_array() && !data.empty()) {
    for (const auto& set : data) {
      std::string text = as_text(field(set, "path"));
      const std::string kind = as_text(field(set, "kind"));
      if (kind == "missing" || kind == "unreadable" || field(set, "fingerprint").is_null()) {
        text += ": " + (kind.empty() ? std::string("no fingerprint") : kind);
        if (field(set, "note").is_string()) text += " (" + as_text(set["note"]) + ")";
      } else {
        // The fingerprint is the hash the hosts' data caches name the version by ("tree-xxh3" of a
        // path entry, the "sha256" of a url entry); a url entry's size is known once downloaded.
        const json bytes = field(set, "bytes");
        const json files = field(set, "files");
        text += fmt::format(": {}, {}, {} {}", kind,
                            files.is_number() && bytes.is_number()
                                ? fmt::format("{} file(s), {}", as_text(files), human_bytes(bytes.get<double>()))
                                : std::string("size unknown"),
                            as_text(field(set, "method")), short_hash(field(set, "fingerprint")));
      }
      rows.emplace_back("data", text);
    }
  } else {
    rows.emplace_back("data", "none named (list dataset paths in choline.json \"data\")");
  }
  const json metrics = field(card, "metrics");
  if (metrics.is_object()) {
    std::vector<std::string> values;
    if (field(metrics, "values").is_object()) {
      for (const auto& [name, value] : metrics["values"].items()) {
        values.push_back(name + " " +
                         (value.is_number_float() ? fmt::format("{:.6g}", value.get<double>()) : as_text(value)));
      }
    }
    rows.emplace_back("metrics",
                      fmt::format("step {} ({}): {}", as_text(field(metrics, "step")), as_text(field(metrics, "basis")),
                                  values.empty() ? "none" : util::join(values, ", ")));
  } else {
    rows.emplace_back("metrics", "none reported (workers print choline-metrics: {\"step\": N, ...} lines)");
  }
  const json hardware = field(card, "hardware");
  if (hardware.is_object()) {
    const json price = field(hardware, "price_per_hour");
    rows.emplace_back("hardware",
                      fmt::format("{} x {} on {}, {} node(s), ${:.3f}/h", as_text(field(hardware, "workers")),
                                  as_text(field(hardware, "gpu")), as_text(field(hardware, "provider")),
                                  as_text(field(hardware, "nodes")), price.is_number() ? price.get<double>() : 0.0));
    if (field(hardware, "hosts").is_array()) {
      for (const auto& host : hardware["hosts"]) {
        rows.emplace_back("host", fmt::format("node {}: {} ({}), {} x {}", as_text(field(host, "node")),
                                              as_text(field(host, "id")), as_text(field(host, "address")),
                                              as_text(field(host, "slots")), as_text(field(host, "gpu"))));
      }
    }
  }
  if (!field(card, "config").is_null()) {
    rows.emplace_back("config", as_text(field(card, "config_file")) + " " + card["config"].dump());
  }
  rows.emplace_back("created", as_text(field(card, "created_at")));

  std::size_t width = k_card_label_width - 2;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::ostringstream out;
  for (const auto& [name, value] : rows) out << name << std::string(width - name.size() + 2, ' ') << value << "\n";
  return out.str();
}

}  // namespace choline::report
