#include <choline/remote/data_push.hpp>

#include <choline/agent/data_cache_policy.hpp>
#include <choline/limits.hpp>
#include <choline/remote/remote_agent.hpp>
#include <choline/sync/sync.hpp>
#include <choline/util/json.hpp>
#include <choline/util/progress.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

namespace choline::remote {

namespace fs = std::filesystem;

namespace {

// The place common to both verbs.
std::vector<std::string> target_args(const DataHost& host, const PreparedData& data, const DataStageOptions& options) {
  std::vector<std::string> args = {"--cache",     host.cache_dir, "--id",        data.id,      "--work-dir",
                                   host.work_dir, "--to",         data.entry.to, "--run-root", host.run_root};
  if (options.cache_gb) {
    char text[64];
    std::snprintf(text, sizeof text, "%.6g", *options.cache_gb);
    args.insert(args.end(), {"--limit-gb", text});
  }
  return args;
}

// One status line, read a byte at a time: after "need" the same stream carries sync frames.
Result<std::optional<std::string>> read_line(transport::Stream& stream) {
  std::string line;
  for (;;) {
    char c = 0;
    auto n = stream.read_some(&c, 1);
    if (!n) return n.error();
    if (*n == 0) return line.empty() ? std::optional<std::string>() : std::optional<std::string>(line);
    if (c == '\n') return std::optional<std::string>(line);
    if (line.size() >= limits::k_max_agent_status_line)
      return make_error(ErrorKind::protocol, "an overlong status line from the agent");
    line += c;
  }
}

std::uint64_t number_at(const std::vector<std::string>& words, std::size_t index) {
  if (index >= words.size()) return 0;
  return static_cast<std::uint64_t>(util::parse_uint(words[index], 1ll << 62).value_or(0));
}

// The agent's exit; a failure is said in the agent's own words (its stderr), not the command.
Status agent_finished(transport::Stream& stream) {
  stream.close_write();
  auto code = stream.wait();
  if (!code) return code.error();
  if (*code == 0) return {};
  std::string words = util::trim(stream.stderr_tail());
  const auto error_at = words.rfind("choline: error: ");
  if (error_at != std::string::npos) words = words.substr(error_at + 16);
  if (words.empty()) words = "the agent exited " + std::to_string(*code);
  return make_error(ErrorKind::remote, util::printable(words, 2000));
}

std::string describe_entry(const spec::ResolvedData& entry) {
  return entry.key + " (" + (entry.kind == spec::ResolvedData::Kind::url ? entry.url : entry.source.string()) + ")";
}

Result<DataStageStats> push_entry(const DataHost& host, const PreparedData& data, const DataStageOptions& options,
                                  util::ProgressStep& step) {
  const LocalData& local = *data.local;
  std::vector<std::string> argv = agent_argv(host.agent, {"data-push"});
  for (auto& arg : target_args(host, data, options)) argv.push_back(arg);
  argv.insert(argv.end(), {"--source", "path:" + data.entry.source.string(), "--bytes", std::to_string(local.bytes)});
  if (!local.file_name.empty()) argv.insert(argv.end(), {"--file", local.file_name});
  auto stream = host.transport->exec(argv);
  if (!stream) return stream.error();
  DataStageStats stats;
  stats.files = local.files;
  stats.bytes = local.bytes;
  for (;;) {
    auto line = read_line(**stream);
    if (!line) return line.error();
    if (!*line) {
      if (auto ok = agent_finished(**stream); !ok) return ok.error();
      return make_error(ErrorKind::protocol, "the agent ended without an answer");
    }
    const auto words = util::split(**line, ' ');
    if (words[0] == "wait") {
      step.status("waiting for another run staging the same data on this host");
    } else if (words[0] == "have") {
      if (auto ok = agent_finished(**stream); !ok) return ok.error();
      stats.action = DataAction::cached;
      return stats;
    } else if (words[0] == "need") {
      break;
    } else {
      return make_error(ErrorKind::protocol, "the agent answered '" + util::printable(**line) + "'");
    }
  }
  stats.action = DataAction::sent;
  sync::SyncOptions sync_options;
  sync_options.entries = local.entries;
  sync_options.progress = [&](const sync::SyncProgress& p) {
    step.update(
        util::describe_transfer({p.files_done, p.files_wanted, p.bytes_done, p.bytes_wanted}, step.elapsed_seconds()));
  };
  auto synced = sync::run_sender(local.root, **stream, sync_options);
  // The agent's account of a failure (it checks what arrived before publishing) says more.
  auto finished = agent_finished(**stream);
  if (!finished) return finished.error();
  if (!synced) return synced.error();
  stats.sync = *synced;
  return stats;
}

Result<DataStageStats> fetch_entry(const DataHost& host, const PreparedData& data, const DataStageOptions& options,
                                   util::ProgressStep& step) {
  const spec::ResolvedData& entry = data.entry;
  auto url = spec::expand_env_refs(entry.url, options.env);
  if (!url)
    return make_error(ErrorKind::usage, entry.key + ".url: " + url.error().message + "; export it before the run");
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : entry.headers) {
    auto expanded = spec::expand_env_refs(value, options.env);
    if (!expanded) {
      return make_error(ErrorKind::usage, entry.key + ".headers." + name + ": " + expanded.error().message +
                                              "; export it before the run");
    }
    headers[name] = *expanded;
  }
  const nlohmann::json request = {{"url", *url},
                                  {"headers", headers},
                                  {"sha256", entry.sha256},
                                  {"extract", entry.extract},
                                  {"shown", entry.url},
                                  {"name", fs::path(entry.to).filename().string()}};
  std::vector<std::string> argv = agent_argv(host.agent, {"data-fetch"});
  for (auto& arg : target_args(host, data, options)) argv.push_back(arg);
  auto stream = host.transport->exec(argv);
  if (!stream) return stream.error();
  // Credentials travel here, on the agent's stdin, and nowhere else.
  const std::string text = util::dump_json(request);
  if (auto ok = (*stream)->write_all(text.data(), text.size()); !ok) return ok.error();
  (*stream)->close_write();
  DataStageStats stats;
  stats.action = DataAction::downloaded;
  for (;;) {
    auto line = read_line(**stream);
    if (!line) return line.error();
    if (!*line) break;
    const auto words = util::split(**line, ' ');
    if (words[0] == "wait") {
      step.status("waiting for another run staging the same data on this host");
    } else if (words[0] == "have") {
      stats.action = DataAction::cached;
      stats.files = number_at(words, 1);
      stats.bytes = number_at(words, 2);
    } else if (words[0] == "progress") {
      step.update("downloading on the host: " + util::format_bytes(number_at(words, 1)) +
                  (number_at(words, 2) > 1 ? " (attempt " + words[2] + ")" : ""));
    } else if (words[0] == "retry") {
      // "retry <attempt> <why...>"
      const std::string& text = **line;
      const auto why_at = words.size() > 2 ? text.find(' ', words[0].size() + 1) : std::string::npos;
      const std::string why = why_at == std::string::npos ? "" : text.substr(why_at + 1);
      step.status("download attempt " + (words.size() > 1 ? words[1] : "?") + " after: " + util::printable(why));
    } else if (words[0] == "extract") {
      step.status("unpacking on the host");
    } else if (words[0] == "done") {
      stats.files = number_at(words, 1);
      stats.bytes = number_at(words, 2);
      stats.bytes_downloaded = number_at(words, 3);
    }
  }
  if (auto ok = agent_finished(**stream); !ok) return ok.error();
  return stats;
}

std::string summary_of(const DataStageStats& stats) {
  const std::string size =
      std::to_string(stats.files) + (stats.files == 1 ? " file, " : " files, ") + util::format_bytes(stats.bytes);
  switch (stats.action) {
    case DataAction::cached:
      return "cached on the host (" + size + "), nothing sent";
    case DataAction::downloaded:
      return "downloaded " + util::format_bytes(stats.bytes_downloaded) + " on the host (" + size + ")";
    case DataAction::sent: {
      const std::uint64_t moved = stats.sync.files_transferred;
      return std::to_string(moved) + (moved == 1 ? " file" : " files") + " sent (" +
             util::format_bytes(stats.sync.bytes_sent) + ") of " + std::to_string(stats.sync.files_total) +
             " checked (" + size + ")";
    }
  }
  return size;
}

}  // namespace

nlohmann::json DataStageStats::to_json() const {
  return {{"key", key},
          {"to", to},
          {"id", id},
          {"action", remote::to_string(action)},
          {"files", files},
          {"bytes", bytes},
          {"bytes_sent", sync.bytes_sent},
          {"bytes_literal", sync.bytes_literal},
          {"files_sent", sync.files_transferred},
          {"bytes_downloaded", bytes_downloaded}};
}

nlohmann::json staged_json(const std::vector<DataStageStats>& staged) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& stats : staged) entries.push_back(stats.to_json());
  return entries;
}

const char* to_string(DataAction action) {
  switch (action) {
    case DataAction::cached:
      return "cached";
    case DataAction::sent:
      return "sent";
    case DataAction::downloaded:
      return "downloaded";
  }
  return "?";
}

Result<std::vector<PreparedData>> prepare_data(const std::vector<spec::ResolvedData>& entries,
                                               const fs::path& project_dir, const std::vector<std::string>& ignore) {
  std::vector<PreparedData> prepared;
  for (const auto& entry : entries) {
    PreparedData data{entry, std::nullopt, "", ""};
    if (entry.kind == spec::ResolvedData::Kind::url) {
      data.id = agent::url_data_id(entry.sha256, entry.extract);
      data.fingerprint = entry.sha256;
    } else {
      auto local = scan_local_data(entry, project_dir, ignore);
      if (!local) return local.error();
      data.id = local->id;
      data.fingerprint = local->fingerprint;
      data.local = std::move(*local);
    }
    prepared.push_back(std::move(data));
  }
  return prepared;
}

Result<std::vector<DataStageStats>> stage_data(const DataHost& host, const std::vector<PreparedData>& data,
                                               const DataStageOptions& options) {
  if (!host.transport) return make_error(ErrorKind::internal, "stage_data without a transport");
  std::vector<DataStageStats> all;
  for (const auto& item : data) {
    const auto started = std::chrono::steady_clock::now();
    util::ProgressStep step;
    if (options.progress) step = util::progress().start(host.label + ": " + item.entry.key + " -> " + item.entry.to);
    auto stats = item.local ? push_entry(host, item, options, step) : fetch_entry(host, item, options, step);
    if (!stats) return stats.error().with_context(host.label + ": " + describe_entry(item.entry));
    stats->key = item.entry.key;
    stats->to = item.entry.to;
    stats->id = item.id;
    stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    step.finish(summary_of(*stats) + " in " + util::format_duration(stats->seconds));
    spdlog::debug("data: {} on {}: {} ({})", item.entry.key, host.label, to_string(stats->action), item.id);
    all.push_back(std::move(*stats));
  }
  return all;
}

}  // namespace choline::remote
