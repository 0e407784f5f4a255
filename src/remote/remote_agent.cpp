#include <choline/remote/remote_agent.hpp>

#include <choline/agent/embedded.hpp>
#include <choline/sync/sync.hpp>
#include <choline/util/progress.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace choline::remote {

namespace {

// Waits for the agent: when the sync itself went well, a failing agent still fails it (its status
// and stderr say why); when both failed, the sync's own error says more.
Result<sync::SyncStats> settle(transport::Stream& stream, Result<sync::SyncStats> stats, const std::string& what) {
  auto ok = transport::wait_for_success(stream, what);
  if (!ok && stats) return ok.error();
  if (!ok) spdlog::debug("{}", ok.error().message);
  return stats;
}

}  // namespace

std::vector<std::string> agent_argv(std::vector<std::string> agent, std::initializer_list<std::string> words) {
  agent.insert(agent.end(), words.begin(), words.end());
  return agent;
}

std::string remote_agent_path(const std::string& agent_dir) {
  return agent_dir + "/" + agent::agent_file_name();
}

Result<std::string> run_remote(transport::Transport& transport, const std::vector<std::string>& argv,
                               const std::string& input, const std::function<void(std::size_t written)>& on_input) {
  auto stream = transport.exec(argv);
  if (!stream) return stream.error();
  // In pieces, so that an upload's progress moves.
  constexpr std::size_t k_piece = 256 * 1024;
  for (std::size_t at = 0; at < input.size(); at += k_piece) {
    const std::size_t size = std::min(k_piece, input.size() - at);
    if (auto ok = (*stream)->write_all(input.data() + at, size); !ok) return ok.error();
    if (on_input) on_input(at + size);
  }
  (*stream)->close_write();
  std::string output;
  if (auto ok = transport::read_to_end(**stream,
                                       [&](std::string_view chunk) {
                                         output.append(chunk);
                                         return Status{};
                                       });
      !ok) {
    return ok.error();
  }
  if (auto ok =
          transport::wait_for_success(**stream, "'" + transport::shell_join(argv) + "' on " + transport.describe());
      !ok) {
    return ok.error();
  }
  return output;
}

Status install_remote_agent(transport::Transport& transport, const std::string& agent_dir, const std::string& label) {
  // Hosts run the embedded static agent, never this dynamically linked binary: a rented image
  // has another glibc and none of our shared libraries.
  const std::string_view binary = agent::embedded_agent();
  if (binary.empty()) {
    return make_error(ErrorKind::internal,
                      "this choline binary carries no embedded agent; rebuild it with scripts/build");
  }
  const std::string path = remote_agent_path(agent_dir);
  if (run_remote(transport, {"test", "-x", path})) return {};
  util::ProgressStep step = util::progress().start(label + ": installing the agent");
  const auto uploaded = [&](std::size_t written) {
    step.update(util::format_bytes(written) + " of " + util::format_bytes(binary.size()));
  };
  // Each upload writes its own temporary file (the shell's pid in its name): nodes that share a
  // host install at once, and a shared temporary file would be renamed into place while another
  // upload still writes it, so that running it fails with "Text file busy".
  const std::string temp = transport::shell_quote(path + ".upload") + ".$$";
  const std::string script = "mkdir -p " + transport::shell_quote(agent_dir) + " && cat > " + temp + " && chmod 755 " +
                             temp + " && mv -f " + temp + " " + transport::shell_quote(path) + " || { rm -f " + temp +
                             "; exit 1; }";
  if (auto ok = run_remote(transport, {"sh", "-c", script}, std::string(binary), uploaded); !ok) return ok.error();
  step.finish("installed (" + util::format_bytes(binary.size()) + ") in " +
              util::format_duration(step.elapsed_seconds()));
  return {};
}

namespace {

// The agent's sync verb with this side's options: the host learns what it must do from its
// command line, and nothing it sends back can change what this side does.
std::vector<std::string> sync_verb(const std::vector<std::string>& agent, const std::string& verb,
                                   const std::string& path, const sync::SyncOptions& options, bool with_delete) {
  std::vector<std::string> argv = agent_argv(agent, {verb, path});
  if (with_delete && options.delete_extraneous) argv.push_back("--delete");
  for (const auto& pattern : options.extra_ignore) {
    argv.push_back("--ignore");
    argv.push_back(pattern);
  }
  argv.push_back("--idle-timeout");
  argv.push_back(std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options.idle_timeout).count()));
  return argv;
}

// Progress of one sync as a step: what moved so far, then one summary line.
class SyncStep {
 public:
  explicit SyncStep(const SyncDisplay& display) {
    if (!display.title.empty()) m_step = util::progress().start(display.title, {.show_after = display.show_after});
  }

  sync::SyncOptions watching(sync::SyncOptions options) {
    options.progress = [this](const sync::SyncProgress& p) {
      m_step.update(util::describe_transfer({p.files_done, p.files_wanted, p.bytes_done, p.bytes_wanted},
                                            m_step.elapsed_seconds()));
    };
    return options;
  }

  // "3 files sent (4.5 MB) of 120 checked in 1.2 s". `pushed`: this side sent.
  Result<sync::SyncStats> finish(Result<sync::SyncStats> stats, bool pushed) {
    if (!stats) return stats;  // the error says what went wrong; the step ends without a line
    const std::string checked = std::to_string(stats->files_total) + " checked";
    std::string summary = "up to date (" + checked + ")";
    if (stats->files_transferred > 0) {
      const std::uint64_t moved = pushed ? stats->bytes_sent : stats->bytes_received;
      summary = std::to_string(stats->files_transferred) + (stats->files_transferred == 1 ? " file " : " files ") +
                (pushed ? "sent" : "received") + " (" + util::format_bytes(moved) + ") of " + checked;
    }
    m_step.finish(summary + " in " + util::format_duration(m_step.elapsed_seconds()));
    return stats;
  }

 private:
  util::ProgressStep m_step;
};

}  // namespace

Result<sync::SyncStats> push_through_agent(transport::Transport& transport, const std::vector<std::string>& agent,
                                           const std::filesystem::path& local_dir, const std::string& remote_path,
                                           const sync::SyncOptions& options, const std::string& label,
                                           const SyncDisplay& display) {
  SyncStep step(display);
  auto stream = transport.exec(sync_verb(agent, "sync-recv", remote_path, options, true));
  if (!stream) return stream.error();
  auto stats = sync::run_sender(local_dir, **stream, step.watching(options));
  return step.finish(settle(**stream, std::move(stats), "the agent's sync receiver on " + label), true);
}

Result<sync::SyncStats> pull_through_agent(transport::Transport& transport, const std::vector<std::string>& agent,
                                           const std::string& remote_path, const std::filesystem::path& local_dir,
                                           const sync::SyncOptions& options, const std::string& label,
                                           const SyncDisplay& display) {
  SyncStep step(display);
  // Deletion on a pull is decided here, by run_receiver: the sender is never told about it.
  auto stream = transport.exec(sync_verb(agent, "sync-send", remote_path, options, false));
  if (!stream) return stream.error();
  auto stats = sync::run_receiver(local_dir, **stream, step.watching(options));
  (*stream)->close_write();
  return step.finish(settle(**stream, std::move(stats), "the agent's sync sender on " + label), false);
}

}  // namespace choline::remote
