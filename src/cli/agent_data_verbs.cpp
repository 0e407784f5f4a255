#include <choline/cli/agent_data_verbs.hpp>

#include <choline/transport/stdio_stream.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>

namespace choline::cli {

namespace {

std::string absolute(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  return std::filesystem::absolute(path, ec).lexically_normal().string();
}

}  // namespace

void AgentDataVerbs::define(CLI::App& agent) {
  m_push =
      agent.add_subcommand("data-push", "Stage a data entry synced from the laptop (a sync stream follows 'need')");
  m_fetch =
      agent.add_subcommand("data-fetch", "Stage a data entry downloaded on this host (the request as JSON on stdin)");
  m_list = agent.add_subcommand("data-list", "Print the data cache's entries as JSON");
  agent::StageTarget& target = m_request.target;
  for (CLI::App* verb : {m_push, m_fetch, m_list}) {
    verb->add_option("--cache", target.cache_dir, "The host's data cache directory")->required();
  }
  for (CLI::App* verb : {m_push, m_fetch}) {
    verb->add_option("--id", target.id, "The entry's content id")->required();
    verb->add_option("--work-dir", target.work_dir, "The run's working directory")->required();
    verb->add_option("--to", target.to, "Where the run sees the entry, relative to its working directory")->required();
    verb->add_option("--run-root", target.run_root, "The run's directory on this host")->required();
    verb->add_option("--limit-gb", m_limit_gb, "The cache's size limit in GB (default: half the free disk)")
        ->check(CLI::NonNegativeNumber);
  }
  m_push->add_option("--source", m_request.source, "Where the entry comes from (finds the previous version)")
      ->required();
  m_push->add_option("--file", m_request.file_name, "The file's name, for an entry that is one file");
  m_push->add_option("--bytes", m_request.bytes, "The entry's size, to make room for it");
}

bool AgentDataVerbs::parsed() const {
  return m_push->parsed() || m_fetch->parsed() || m_list->parsed();
}

Status AgentDataVerbs::run() {
  auto stdio = transport::make_stdio_stream();
  return serve(*stdio);
}

Status AgentDataVerbs::serve(transport::Stream& stdio) {
  agent::StageTarget& target = m_request.target;
  target.cache_dir = absolute(target.cache_dir);
  target.work_dir = absolute(target.work_dir);
  target.run_root = absolute(target.run_root);
  if (m_limit_gb > 0) target.limit_gb = m_limit_gb;
  if (m_list->parsed()) return agent::serve_data_list(target.cache_dir, stdio);
  if (m_fetch->parsed()) return agent::serve_data_fetch(target, stdio);
  return agent::serve_data_push(m_request, stdio);
}

}  // namespace choline::cli
