#pragma once
// Talking to choline's agent on another machine over any Transport: installing the embedded
// static agent there by content hash, running its verbs, and syncing trees through it. Shared by
// `choline sync` and the run layer's HostSession, so both install and sync the same way.

#include <choline/sync/protocol.hpp>
#include <choline/transport/transport.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace choline::remote {

// How a sync shows its progress (util::progress): the step's title ("local-0: pushing the
// project"; empty: no step), and a delay for syncs that are usually over at once (the periodic
// checkpoint pull).
struct SyncDisplay {
  std::string title;
  std::chrono::milliseconds show_after{0};
};

// The agent's path under `agent_dir` on a host: <agent_dir>/choline-agent-<hash>.
std::string remote_agent_path(const std::string& agent_dir);

// The agent's command line (how the host starts it) followed by a verb and its arguments.
std::vector<std::string> agent_argv(std::vector<std::string> agent, std::initializer_list<std::string> words);

// Makes sure the embedded agent is at remote_agent_path(agent_dir) on the other side of
// `transport`: uploads it once (to a temp name, then renamed) unless that exact build is there.
// `label` names the host in messages.
Status install_remote_agent(transport::Transport& transport, const std::string& agent_dir, const std::string& label);

// Runs `argv` to completion, feeding `input` on stdin; returns stdout. A non-zero exit is an
// error that names the command and `transport`. `on_input` hears how much of `input` was
// written so far (for an upload's progress).
Result<std::string> run_remote(transport::Transport& transport, const std::vector<std::string>& argv,
                               const std::string& input = {},
                               const std::function<void(std::size_t written)>& on_input = {});

// Pushes `local_dir` to `remote_path` through `agent sync-recv`. `agent` is the agent's command
// prefix on the other side (e.g. {path, "agent"}).
Result<sync::SyncStats> push_through_agent(transport::Transport& transport, const std::vector<std::string>& agent,
                                           const std::filesystem::path& local_dir, const std::string& remote_path,
                                           const sync::SyncOptions& options, const std::string& label,
                                           const SyncDisplay& display = {});

// Pulls `remote_path` into `local_dir` through `agent sync-send`.
Result<sync::SyncStats> pull_through_agent(transport::Transport& transport, const std::vector<std::string>& agent,
                                           const std::string& remote_path, const std::filesystem::path& local_dir,
                                           const sync::SyncOptions& options, const std::string& label,
                                           const SyncDisplay& display = {});

}  // namespace choline::remote
