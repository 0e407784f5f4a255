#include <choline/agent/embedded.hpp>
#include <choline/agent/log_stream.hpp>
#include <choline/agent/reach.hpp>
#include <choline/agent/supervisor.hpp>
#include <choline/cli/agent_data_verbs.hpp>
#include <choline/cli/command.hpp>
#include <choline/sync/sync.hpp>
#include <choline/limits.hpp>
#include <choline/util/json.hpp>
#include <choline/util/process.hpp>
#include <choline/util/strings.hpp>
#include <choline/transport/stdio_stream.hpp>
#include <choline/version.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <iterator>
#include <ostream>

namespace choline::cli {

namespace {

// The agent's verbs are what the laptop side runs on a host over a transport; users do not
// call them, so the group is hidden from `choline --help`. stdout carries protocol frames:
// nothing else may write to it.
class AgentCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.require_subcommand(1);
    m_version = app.add_subcommand("version", "Print the agent's version (used to decide whether to upload it)");
    m_sync_recv = app.add_subcommand("sync-recv", "Receive a sync stream on stdin/stdout into ROOT");
    m_sync_recv->add_option("ROOT", m_root, "Destination root")->required();
    m_sync_recv->add_flag("--delete", m_options.delete_extraneous, "Delete files under ROOT the sender does not have");
    m_sync_send = app.add_subcommand("sync-send", "Send ROOT as a sync stream on stdin/stdout");
    m_sync_send->add_option("ROOT", m_root, "Source root")->required();
    for (CLI::App* verb : {m_sync_recv, m_sync_send}) {
      verb->add_option("--ignore", m_options.extra_ignore, "Extra ignore pattern (repeatable)");
      verb->add_option("--idle-timeout", m_idle_timeout_s, "Give up when nothing moved for this many seconds (0: never)")
          ->check(CLI::NonNegativeNumber);
    }

    m_extract = app.add_subcommand("extract", "Write the embedded static agent to PATH (to bake it into an image)");
    m_extract->add_option("PATH", m_extract_path, "Where to write the agent")->required();

    m_launch = app.add_subcommand("launch", "Start the worker supervisor for the job spec on stdin; print its pid");
    m_supervise = app.add_subcommand("supervise", "Run as the worker supervisor (started by launch)");
    m_logs = app.add_subcommand("logs", "Stream worker logs as frames from the given offsets");
    m_logs->add_option("--offset", m_offsets, "RANK:BYTES already received (repeatable)");
    m_logs->add_flag("--follow", m_follow, "Keep streaming until the job ends");
    m_state = app.add_subcommand("state", "Print the job state as JSON");
    m_listen = app.add_subcommand("listen", "Multi-node preflight on node 0: accept probes on PORTs until stdin ends");
    m_listen->add_option("--port", m_ports, "Port to listen on (repeatable)")->required();
    m_listen->add_option("--seconds", m_seconds, "Give up listening after this long");
    m_reach = app.add_subcommand("reach", "Multi-node preflight on node k: can this host connect to HOST:PORTs?");
    m_reach->add_option("HOST", m_reach_host, "Node 0's address")->required();
    m_reach->add_option("--port", m_ports, "Port to try (repeatable)")->required();
    m_stop = app.add_subcommand("stop", "Stop the workers");
    for (CLI::App* verb : {m_launch, m_supervise, m_logs, m_state, m_stop}) {
      verb->add_option("--root", m_layout.root, "The run's directory on this host")->required();
    }
    m_data.define(app);
  }

  Result<int> run(CommandContext& context) override {
    if (m_version->parsed()) {
      context.out << "choline-agent " << version() << "\n";
      return 0;
    }
    // Workers chdir into the project: every path handed to them must be absolute.
    if (!m_layout.root.empty()) m_layout.root = std::filesystem::absolute(m_layout.root).lexically_normal().string();
    if (m_extract->parsed()) {
      if (auto ok = agent::extract_agent(m_extract_path); !ok) return ok.error();
      return 0;
    }
    if (m_data.parsed()) {
      if (auto ok = m_data.run(); !ok) return ok.error();
      return 0;
    }
    if (m_launch->parsed()) return launch(context);
    if (m_supervise->parsed()) return agent::supervise(m_layout);
    if (m_state->parsed()) {
      auto state = agent::read_state(m_layout);
      if (!state) return std::move(state).error();
      context.out << state->dump() << "\n";
      return 0;
    }
    if (m_listen->parsed()) {
      if (auto ok = agent::listen_for_probes(m_ports, m_seconds, std::cin, context.out); !ok) return ok.error();
      return 0;
    }
    if (m_reach->parsed()) {
      const auto missed = agent::unreachable_ports(m_reach_host, m_ports, 3000);
      for (int port : missed) context.out << port << "\n";
      return missed.empty() ? 0 : 3;
    }
    if (m_stop->parsed()) {
      if (auto ok = agent::stop_supervisor(m_layout); !ok) return ok.error();
      return 0;
    }
    auto stream = transport::make_stdio_stream();
    if (m_logs->parsed()) return serve_logs(*stream);
    m_options.idle_timeout = std::chrono::seconds(m_idle_timeout_s);
    Result<sync::SyncStats> stats = m_sync_recv->parsed() ? sync::run_receiver(m_root, *stream, m_options)
                                                          : sync::run_sender(m_root, *stream, m_options);
    if (!stats) return stats.error();
    spdlog::debug("agent: {}", sync::stats_to_json(*stats));
    return 0;
  }

 private:
  Result<int> launch(CommandContext& context) {
    const std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    auto parsed = util::parse_json(text, limits::k_max_json_depth);
    if (!parsed) return make_error(ErrorKind::usage, "agent launch: the job spec on stdin: " + parsed.error().message);
    auto job = agent::job_from_json(*parsed);
    if (!job) return std::move(job).error();
    auto pid = agent::launch_supervisor(m_layout, *job, util::self_exe_path());
    if (!pid) return std::move(pid).error();
    context.out << *pid << "\n";
    return 0;
  }

  Result<int> serve_logs(transport::Stream& stream) {
    std::map<int, std::uint64_t> offsets;
    for (const auto& item : m_offsets) {
      const auto parts = util::split(item, ':');
      const auto rank = parts.size() == 2 ? util::parse_uint(parts[0], 1'000'000) : std::nullopt;
      const auto bytes = parts.size() == 2 ? util::parse_uint(parts[1], 1ll << 50) : std::nullopt;
      if (!rank || !bytes) return make_error(ErrorKind::usage, "bad --offset '" + item + "', expected RANK:BYTES");
      offsets[static_cast<int>(*rank)] = static_cast<std::uint64_t>(*bytes);
    }
    sync::FrameWriter writer(stream);
    if (auto ok = agent::serve_logs(m_layout, offsets, m_follow, writer); !ok) return ok.error();
    return 0;
  }

  AgentDataVerbs m_data;
  CLI::App* m_extract = nullptr;
  std::string m_extract_path;
  CLI::App* m_launch = nullptr;
  CLI::App* m_supervise = nullptr;
  CLI::App* m_logs = nullptr;
  CLI::App* m_state = nullptr;
  CLI::App* m_stop = nullptr;
  CLI::App* m_listen = nullptr;
  CLI::App* m_reach = nullptr;
  std::vector<int> m_ports;
  int m_seconds = 30;
  std::string m_reach_host;
  agent::AgentLayout m_layout;
  std::vector<std::string> m_offsets;
  bool m_follow = false;
  CLI::App* m_version = nullptr;
  CLI::App* m_sync_recv = nullptr;
  CLI::App* m_sync_send = nullptr;
  std::string m_root;
  sync::SyncOptions m_options;
  int m_idle_timeout_s = static_cast<int>(limits::k_default_idle_timeout.count());
};

}  // namespace

std::unique_ptr<Command> make_agent_command() { return std::make_unique<AgentCommand>(); }

}  // namespace choline::cli
