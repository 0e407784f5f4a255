#include "execution.hpp"

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
