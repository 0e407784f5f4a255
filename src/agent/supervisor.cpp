#include <choline/agent/supervisor.hpp>

#include <choline/agent/stderr_relay.hpp>

#include <choline/limits.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>
#include <choline/util/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <thread>

extern char** environ;

namespace choline::agent {

namespace {

using nlohmann::json;

std::atomic<bool> g_stop_requested{false};
extern "C" void on_stop_signal(int) {
  g_stop_requested.store(true);
}

bool process_alive(pid_t pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

Status write_state(const AgentLayout& layout, const json& state) {
  return util::write_file_atomic(layout.state_file(), util::dump_json(state, 2) + "\n");
}

std::vector<std::string> build_environment(const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry; ++entry) {
    const std::string item = *entry;
    const std::size_t eq = item.find('=');
    if (eq != std::string::npos) merged[item.substr(0, eq)] = item.substr(eq + 1);
  }
  for (const auto& [key, value] : overrides) merged[key] = value;
  std::vector<std::string> out;
  for (const auto& [key, value] : merged) out.push_back(key + "=" + value);
  return out;
}

// Every attempt's output starts with a marker line, so the laptop's one continuous log per rank
// shows where each attempt begins (and `choline logs --attempt N` can cut it out).
void write_attempt_marker(const std::string& log_path, int attempt) {
  const int fd = ::open(log_path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  std::string marker = attempt_marker(attempt) + "\n";
  struct stat st {};
  char last = '\n';
  if (::fstat(fd, &st) == 0 && st.st_size > 0 && ::pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
    marker.insert(0, "\n");  // the previous attempt's last line had no newline
  }
  (void)!::write(fd, marker.data(), marker.size());
  ::close(fd);
}

pid_t start_worker(const AgentLayout& layout, const JobSpec& job, int local_rank, StderrRelay& relay) {
  const int rank = job.node_rank * job.slots + local_rank;
  const std::string log_path = layout.rank_log(rank);
  write_attempt_marker(log_path, job.attempt);
  std::vector<std::string> env = build_environment(worker_env(job, local_rank, layout.project()));
  std::vector<std::string> argv = job.command;
  // stderr through the relay, which marks its lines; without a pipe, straight into the log.
  int err_pipe[2] = {-1, -1};
  const int relay_log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (relay_log < 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) err_pipe[0] = err_pipe[1] = -1;
  const pid_t pid = ::fork();
  if (pid != 0) {
    if (err_pipe[1] >= 0) ::close(err_pipe[1]);
    if (pid > 0 && err_pipe[0] >= 0) {
      relay.add(err_pipe[0], relay_log);
    } else {
      if (err_pipe[0] >= 0) ::close(err_pipe[0]);
      if (relay_log >= 0) ::close(relay_log);
    }
    return pid;
  }
  // Child: from here on only async-signal-safe calls until exec.
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log >= 0) ::dup2(log, 1);
  if (const int err = err_pipe[1] >= 0 ? err_pipe[1] : log; err >= 0) ::dup2(err, 2);
  const int null_in = ::open("/dev/null", O_RDONLY);
  if (null_in >= 0) ::dup2(null_in, 0);
  if (::chdir(layout.project().c_str()) != 0) ::_exit(126);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGHUP, SIG_DFL);
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  ::execvpe(args[0], args.data(), envp.data());
  const std::string message = std::string("choline agent: cannot run ") + args[0] + ": " + std::strerror(errno) + "\n";
  (void)!::write(2, message.data(), message.size());
  ::_exit(127);
}

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Stops the remaining workers: SIGTERM, then SIGKILL after the grace period.
void stop_workers(std::map<pid_t, int>& running, std::vector<json>& codes) {
  for (const auto& [pid, rank] : running) ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(k_stop_grace_seconds);
  while (!running.empty()) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      if (auto it = running.find(pid); it != running.end()) {
        codes[static_cast<std::size_t>(it->second)] = exit_code_of(status);
        running.erase(it);
      }
      continue;
    }
    if (pid < 0 && errno == ECHILD) break;
    if (std::chrono::steady_clock::now() > deadline) {
      for (const auto& [p, rank] : running) ::kill(p, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// A host root is reused by runs one after another (a sweep's pool lends a warm host to trial
// after trial). A job of another run than the last one starts on a clean slate: the previous
// run's rank logs would otherwise be streamed as the new run's first bytes, and its checkpoints
// found (and resumed from) by the new run's script. A job resuming from a checkpoint keeps the
// checkpoint directory: the laptop seeded it just before. A job of the same run keeps
// everything, unless the laptop says its log bytes start afresh (JobSpec::fresh_logs).
void forget_previous_run(const AgentLayout& layout, const JobSpec& job) {
  auto text = util::read_file(layout.job_file(), limits::k_max_json_file);
  if (!text) return;
  auto previous = util::parse_json(*text, limits::k_max_json_depth);
  if (!previous || !previous->is_object() || !previous->contains("run_id") || !(*previous)["run_id"].is_string())
    return;
  const bool same_run = (*previous)["run_id"].get<std::string>() == job.run_id;
  if (same_run && !job.fresh_logs) return;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(layout.logs(), ec)) {
    std::filesystem::remove_all(item.path(), ec);
  }
  if (same_run) return;  // the checkpoints are the run's own
  const std::filesystem::path checkpoints(job.checkpoint_dir);
  const bool inside =
      !checkpoints.empty() && checkpoints.is_relative() &&
      std::none_of(checkpoints.begin(), checkpoints.end(), [](const auto& part) { return part == ".."; });
  if (job.resume_from.empty() && inside) {
    for (const auto& item :
         std::filesystem::directory_iterator(std::filesystem::path(layout.project()) / checkpoints, ec)) {
      std::filesystem::remove_all(item.path(), ec);
    }
  }
}

}  // namespace

Result<json> read_state(const AgentLayout& layout) {
  auto text = util::read_file(layout.state_file(), limits::k_max_json_file);
  if (!text) return text.error();
  auto parsed = util::parse_json(*text, limits::k_max_json_depth);
  if (!parsed) return make_error(ErrorKind::io, "damaged state file: " + parsed.error().message);
  return parsed;
}

pid_t state_pid(const json& state) {
  const auto pid = state.is_object() && state.contains("pid") ? util::json_int64(state["pid"]) : std::nullopt;
  if (!pid || *pid <= 0 || *pid > std::numeric_limits<pid_t>::max()) return 0;
  return static_cast<pid_t>(*pid);
}

bool state_is_final(const json& state) {
  const auto status = state.is_object() && state.contains("status") && state["status"].is_string()
                          ? job_status_from(state["status"].get_ref<const std::string&>())
                          : std::nullopt;
  return status && is_final(*status);
}

bool supervisor_responsive(const json& state) {
  const pid_t pid = state_pid(state);
  if (pid == 0) return true;
  if (!process_alive(pid)) return false;
  // /proc/<pid>/stat: "pid (comm) S ...": the state letter follows the last ')'.
  auto stat = util::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;  // no /proc (a bare chroot): alive is all we can tell
  const auto close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) return true;
  const char letter = (*stat)[close + 2];
  return letter != 'T' && letter != 't' && letter != 'Z' && letter != 'X';
}

Result<pid_t> launch_supervisor(const AgentLayout& layout, const JobSpec& job, const std::string& self_exe) {
  std::error_code ec;
  std::filesystem::create_directories(layout.logs(), ec);
  std::filesystem::create_directories(layout.project(), ec);
  if (auto state = read_state(layout);
      state && !state_is_final(*state) && state_pid(*state) != 0 && process_alive(state_pid(*state))) {
    return make_error(ErrorKind::usage, "a job is already running on this host (supervisor pid " +
                                            std::to_string(state_pid(*state)) + ")");
  }
  forget_previous_run(layout, job);
  // job.json may hold forwarded secrets: only the owner may read it.
  if (auto ok = util::write_file_atomic(layout.job_file(), util::dump_json(job.to_json())); !ok) return ok.error();
  ::chmod(layout.job_file().c_str(), 0600);
  if (auto ok = write_state(layout, {{"attempt", job.attempt}, {"status", to_string(JobStatus::starting)}, {"pid", 0}});
      !ok)
    return ok.error();

  const pid_t pid = ::fork();
  if (pid < 0) return make_error(ErrorKind::io, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setsid();  // own session and process group: survives the SSH channel and the laptop
    const int null_in = ::open("/dev/null", O_RDONLY);
    const int log = ::open(layout.agent_log().c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (null_in >= 0) ::dup2(null_in, 0);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    // Close everything else inherited (an SSH channel's pipes keep the channel open otherwise).
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    std::string exe = self_exe, agent = "agent", verb = "supervise", flag = "--root", root = layout.root;
    char* argv[] = {exe.data(), agent.data(), verb.data(), flag.data(), root.data(), nullptr};
    ::execv(exe.c_str(), argv);
    ::_exit(127);
  }
  return pid;
}

int supervise(const AgentLayout& layout) {
  auto text = util::read_file(layout.job_file());
  if (!text) return 1;
  auto parsed = util::parse_json(*text, limits::k_max_json_depth);
  if (!parsed) return 1;
  auto job = job_from_json(*parsed);
  if (!job) return 1;

  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  ::signal(SIGHUP, SIG_IGN);

  json state = {{"attempt", job->attempt},
                {"status", to_string(JobStatus::running)},
                {"pid", ::getpid()},
                {"started_at", util::now_iso8601()},
                {"node_rank", job->node_rank}};
  std::vector<json> codes(static_cast<std::size_t>(job->world_size()), nullptr);
  std::map<pid_t, int> running;  // pid -> global rank
  StderrRelay relay;
  for (int local = 0; local < job->slots; ++local) {
    const int rank = job->node_rank * job->slots + local;
    running[start_worker(layout, *job, local, relay)] = rank;
  }
  relay.start();
  json ranks = json::array();
  for (const auto& [pid, rank] : running) ranks.push_back({{"rank", rank}, {"pid", pid}});
  state["workers"] = ranks;
  (void)write_state(layout, state);

  JobStatus status = JobStatus::succeeded;
  json failed_rank = nullptr;
  while (!running.empty()) {
    if (g_stop_requested.load()) {
      status = JobStatus::stopped;
      stop_workers(running, codes);
      break;
    }
    int wait_status = 0;
    const pid_t pid = ::waitpid(-1, &wait_status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const int rank = it->second;
    const int code = exit_code_of(wait_status);
    codes[static_cast<std::size_t>(rank)] = code;
    running.erase(it);
    if (code != 0 && status == JobStatus::succeeded) {
      // Gang semantics: one failed worker ends the attempt for all.
      status = JobStatus::failed;
      failed_rank = rank;
      stop_workers(running, codes);
    }
  }
  // The workers' last stderr lines belong in the logs before the state says the attempt ended.
  relay.finish(k_stderr_drain_grace);
  state["status"] = to_string(status);
  state["exit_codes"] = codes;
  state["failed_rank"] = failed_rank;
  state["ended_at"] = util::now_iso8601();
  (void)write_state(layout, state);
  return 0;
}

Status stop_supervisor(const AgentLayout& layout) {
  auto state = read_state(layout);
  if (!state) return state.error();
  if (state_is_final(*state)) return {};
  const pid_t pid = state_pid(*state);
  if (pid == 0 || !process_alive(pid)) return {};
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(k_stop_grace_seconds + 5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto now = read_state(layout); now && state_is_final(*now)) return {};
    if (!process_alive(pid)) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-pid, SIGKILL);
  return make_error(ErrorKind::timeout, "the supervisor did not stop in time; killed its process group");
}

}  // namespace choline::agent
