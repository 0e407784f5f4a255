#include <choline/records/provenance.hpp>

#include <choline/spec/config.hpp>
#include <choline/util/clock.hpp>
#include <choline/util/files.hpp>
#include <choline/util/hash.hpp>
#include <choline/util/strings.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cstdlib>
#include <functional>

extern char** environ;

namespace choline::records {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Runs `argv` (found on PATH) with stdin and stderr on /dev/null, handing its stdout to
// `on_output` as it comes. Returns the exit status, or nullopt if it could not be started.
// posix_spawn, not fork: the controller calls this while other threads run.
std::optional<int> run_streaming(const std::vector<std::string>& argv,
                                 const std::function<void(std::string_view)>& on_output) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  // git status would otherwise refresh the index (a write, and a lock) in the user's repository.
  std::vector<std::string> env_strings = {"GIT_OPTIONAL_LOCKS=0", "LC_ALL=C"};
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    if (!util::starts_with(entry, "GIT_OPTIONAL_LOCKS=") && !util::starts_with(entry, "LC_ALL="))
      env_strings.emplace_back(entry);
  }
  std::vector<char*> envp;
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return std::nullopt;
  }
  char buffer[1 << 16];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    on_output(std::string_view(buffer, static_cast<std::size_t>(n)));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status)) return std::nullopt;
  return WEXITSTATUS(status);
}

std::vector<std::string> git_argv(const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git", "-C", dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// The command's stdout, trimmed, if it exited 0.
std::optional<std::string> git_output(const fs::path& dir, std::vector<std::string> args) {
  std::string output;
  const auto status = run_streaming(git_argv(dir, std::move(args)), [&](std::string_view data) {
    if (output.size() < (1 << 20)) output.append(data);
  });
  if (!status || *status != 0) return std::nullopt;
  return util::trim(output);
}

// Paths of the project only, choline's own files excepted.
const std::vector<std::string> k_project_pathspec = {"--", ".", ":(exclude).choline"};

std::vector<std::string> with_pathspec(std::vector<std::string> args) {
  args.insert(args.end(), k_project_pathspec.begin(), k_project_pathspec.end());
  return args;
}

std::optional<std::string> hash_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  util::Hash128 hash;
  char buffer[1 << 16];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) hash.update(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  if (n < 0) return std::nullopt;
  return util::to_hex(hash.digest());
}

}  // namespace

json data_provenance_json(const DataProvenance& data) {
  const auto optional_number = [](const std::optional<std::uint64_t>& n) { return n ? json(*n) : json(nullptr); };
  return {{"key", data.key},
          {"path", data.path},
          {"to", data.to},
          {"kind", data.kind},
          {"files", optional_number(data.files)},
          {"bytes", optional_number(data.bytes)},
          {"method", data.method},
          {"fingerprint", data.fingerprint},
          {"id", data.id}};
}

json git_state(const fs::path& project_dir) {
  json state = {
      {"root", nullptr}, {"commit", nullptr}, {"branch", nullptr}, {"dirty", nullptr}, {"diff_xxh3", nullptr}};
  if (project_dir.empty()) return state;  // "git -C ''" would describe the current directory instead
  const auto root = git_output(project_dir, {"rev-parse", "--show-toplevel"});
  if (!root) return state;
  state["root"] = *root;
  const auto commit = git_output(project_dir, {"rev-parse", "--verify", "-q", "HEAD"});
  if (commit && !commit->empty()) state["commit"] = *commit;
  if (commit) {
    const auto branch = git_output(project_dir, {"rev-parse", "--abbrev-ref", "HEAD"});
    if (branch && *branch != "HEAD") state["branch"] = *branch;
  }
  const auto status = git_output(project_dir, with_pathspec({"status", "--porcelain", "--untracked-files=all"}));
  if (!status) return state;
  const bool dirty = !status->empty() || !commit;
  state["dirty"] = dirty;
  if (!dirty) return state;

  util::Hash128 hash;
  bool ok = true;
  if (commit) {
    const auto diffed = run_streaming(git_argv(project_dir, with_pathspec({"diff", "--binary", "HEAD"})),
                                      [&](std::string_view data) { hash.update(data.data(), data.size()); });
    ok = diffed && *diffed == 0;
  }
  // Untracked files (every file, in a repository without commits) are not in the diff.
  std::string names;
  std::vector<std::string> list_args = {"ls-files", "-z", "--others", "--exclude-standard"};
  if (!commit) list_args.push_back("--cached");
  const auto listed = run_streaming(git_argv(project_dir, with_pathspec(list_args)),
                                    [&](std::string_view data) { names.append(data); });
  ok = ok && listed && *listed == 0;
  std::vector<std::string> files = util::split(names, '\0');
  std::sort(files.begin(), files.end());
  for (const auto& name : files) {
    if (name.empty()) continue;
    const std::string content = hash_file(project_dir / name).value_or("unreadable");
    const std::string line = "untracked " + name + '\0' + content + '\n';
    hash.update(line.data(), line.size());
  }
  if (ok) state["diff_xxh3"] = util::to_hex(hash.digest());
  return state;
}

json capture_provenance(const fs::path& project_dir, const std::string& config_file,
                        const std::vector<DataProvenance>& data, const std::optional<json>& git) {
  const fs::path config_path = config_file.empty() ? project_dir / spec::k_config_file_name : fs::path(config_file);
  json provenance = {{"captured_at", util::now_iso8601()},
                     {"project_dir", project_dir.string()},
                     {"git", git ? *git : git_state(project_dir)},
                     {"config_file", nullptr},
                     {"config", nullptr},
                     {"purpose", nullptr},
                     {"preprocessing", nullptr},
                     {"data", json::array()}};
  for (const auto& entry : data) provenance["data"].push_back(data_provenance_json(entry));
  auto text = util::read_file(config_path);
  if (!text) return provenance;
  provenance["config_file"] = config_path.string();
  provenance["config"] = json::parse(*text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (provenance["config"].is_discarded()) provenance["config"] = nullptr;
  auto config = spec::parse_config(*text, config_path.string());
  if (!config) {
    provenance["config_error"] = config.error().message;
    return provenance;
  }
  if (config->purpose) provenance["purpose"] = *config->purpose;
  if (config->preprocessing) provenance["preprocessing"] = *config->preprocessing;
  return provenance;
}

fs::path provenance_file(const RunRecord& record, int attempt) {
  return record.dir / "provenance" / ("attempt-" + std::to_string(attempt) + ".json");
}

void record_provenance(const RunRecord& record, const std::vector<DataProvenance>& data,
                       const std::optional<json>& git) {
  const int attempt = static_cast<int>(record.attempts.size()) + 1;
  const fs::path file = provenance_file(record, attempt);
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const json provenance = capture_provenance(record.project_dir, record.options.config_file, data, git);
  if (auto ok = util::write_file_atomic(file, provenance.dump(2) + "\n"); !ok) {
    spdlog::warn("model cards: cannot record the project's state: {}", ok.error().message);
  }
}

json provenance_for_attempt(const RunRecord& record, int attempt) {
  for (int k = attempt; k >= 1; --k) {
    auto text = util::read_file(provenance_file(record, k));
    if (!text) continue;
    auto j = json::parse(*text, nullptr, false);
    if (j.is_object()) return j;
  }
  return nullptr;
}

}  // namespace choline::records
