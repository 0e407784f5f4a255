#include "execution.hpp"

#include <choline/home.hpp>
#include <choline/spec/data_entry.hpp>
#include <choline/util/progress.hpp>

#include <spdlog/spdlog.h>

namespace choline::run {

Status Execution::journal(records::JournalEvent kind, nlohmann::json fields) {
  std::lock_guard lock(record_mutex);
  return journal_locked(kind, std::move(fields));
}

Status Execution::journal_locked(records::JournalEvent kind, nlohmann::json fields) {
  auto ok = record.journal(kind, std::move(fields));
  if (!ok) {
    spdlog::error("cannot write {}: {}", record.file().string(), ok.error().message);
    if (!journal_error) journal_error = ok.error();
  }
  return ok;
}

HostControl& Execution::control(int node) {
  const providers::Host host = [&] {
    std::lock_guard lock(record_mutex);
    return record.current_host(node)->host;
  }();
  return pool.control(host);
}

void Execution::release(records::HostRecord& host, const std::string& why, bool lost) {
  if (auto ok = pool.give_back(host.host, lost); !ok) {
    spdlog::error("could not release {}: {} (it may still be running: check the provider, or run choline stop {})",
                  host.host.id, ok.error().message, record.id);
    (void)journal(records::JournalEvent::release_failed,
                  {{"node", host.node}, {"id", host.host.id}, {"error", ok.error().message}});
    return;
  }
  host.state = records::HostState::released;
  host.released_because = why;
  (void)journal(records::JournalEvent::host_released, {{"node", host.node}, {"id", host.host.id}});
}

namespace {

// A url entry's ${NAME} needs a value on this machine: said before anything is rented, in the
// words stage_data would use on the host.
Status check_data_credentials(const std::vector<spec::ResolvedData>& entries,
                              const std::map<std::string, std::string>& env) {
  for (const auto& entry : entries) {
    if (entry.kind != spec::ResolvedData::Kind::url) continue;
    if (auto url = spec::expand_env_refs(entry.url, env); !url) {
      return make_error(ErrorKind::usage, entry.key + ".url: " + url.error().message + "; export it before the run");
    }
    for (const auto& [name, value] : entry.headers) {
      if (auto expanded = spec::expand_env_refs(value, env); !expanded) {
        return make_error(ErrorKind::usage, entry.key + ".headers." + name + ": " + expanded.error().message +
                                                "; export it before the run");
      }
    }
  }
  return {};
}

}  // namespace

Result<const std::vector<remote::PreparedData>*> Execution::data() {
  std::lock_guard lock(m_data_mutex);
  if (!m_data) {
    m_data = [&]() -> Result<std::vector<remote::PreparedData>> {
      const std::vector<spec::DataEntry> entries = [&] {
        std::lock_guard record_lock(record_mutex);
        return record.options.data;
      }();
      if (entries.empty()) return std::vector<remote::PreparedData>{};
      auto resolved = spec::resolve_data_entries(entries, record.project_dir, user_home());
      if (!resolved) return resolved.error();
      if (auto ok = check_data_credentials(*resolved, job_env); !ok) return ok.error();
      m_data_ignores = spec::project_push_ignores(*resolved);
      // Hashing a large dataset the first time takes a while; later scans are stat calls.
      util::ProgressStep step =
          util::progress().start("checking the data entries", {.show_after = std::chrono::seconds(1)});
      auto prepared = remote::prepare_data(*resolved, record.project_dir, record.options.ignore);
      if (prepared) {
        std::uint64_t files = 0, bytes = 0;
        for (const auto& item : *prepared) {
          if (!item.local) continue;
          files += item.local->files;
          bytes += item.local->bytes;
        }
        step.finish(std::to_string(prepared->size()) + (prepared->size() == 1 ? " entry, " : " entries, ") +
                    std::to_string(files) + (files == 1 ? " file, " : " files, ") + util::format_bytes(bytes) +
                    " on this machine");
      }
      return prepared;
    }();
  }
  if (!*m_data) return m_data->error();
  return &m_data->value();
}

std::vector<std::string> Execution::push_ignores() {
  std::vector<std::string> patterns = record.options.ignore;
  std::lock_guard lock(m_data_mutex);
  patterns.insert(patterns.end(), m_data_ignores.begin(), m_data_ignores.end());
  return patterns;
}

logs::LogSink& Execution::sink() {
  logs::LogSink* sink = seams.sink;
  if (!sink) {
    if (!m_sink) {
      const records::HostRecord* node0 = record.current_host(0);
      m_sink = std::make_unique<logs::LogSink>(record.logs_dir(), &out, node0 ? node0->host.slots : 1);
      m_sink->set_color(seams.color_logs);
      m_sink->set_show_metrics(seams.show_metrics);
    }
    sink = m_sink.get();
  }
  if (!m_metrics) {
    const int attempt = record.attempts.empty() ? 1 : record.attempts.back().number;
    m_metrics = std::make_unique<records::MetricsCollector>(record.metrics_file(), attempt, seams.hooks.metrics);
    sink->set_line_hook([this](int rank, std::string_view line) { m_metrics->on_line(rank, line); });
  }
  return *sink;
}

}  // namespace choline::run
