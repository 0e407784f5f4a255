#include <choline/agent/job_state.hpp>

#include <choline/util/json.hpp>

#include <nlohmann/json.hpp>

#include <limits>

namespace choline::agent {

namespace {

constexpr JobStatus k_statuses[] = {JobStatus::unknown,   JobStatus::starting, JobStatus::running,
                                    JobStatus::succeeded, JobStatus::failed,   JobStatus::stopped};

std::optional<int> small_int(const nlohmann::json& value) { return util::json_int(value); }

}  // namespace

const char* to_string(JobStatus status) {
  switch (status) {
    case JobStatus::unknown: return "unknown";
    case JobStatus::starting: return "starting";
    case JobStatus::running: return "running";
    case JobStatus::succeeded: return "succeeded";
    case JobStatus::failed: return "failed";
    case JobStatus::stopped: return "stopped";
  }
  return "unknown";
}

std::optional<JobStatus> job_status_from(std::string_view text) {
  for (JobStatus status : k_statuses) {
    if (text == to_string(status)) return status;
  }
  return std::nullopt;
}

bool is_final(JobStatus status) {
  return status == JobStatus::succeeded || status == JobStatus::failed || status == JobStatus::stopped;
}

std::optional<int> JobState::failed_exit_code() const {
  if (!failed_rank || *failed_rank < 0 || static_cast<std::size_t>(*failed_rank) >= exit_codes.size()) return std::nullopt;
  return exit_codes[static_cast<std::size_t>(*failed_rank)];
}

Result<JobState> parse_job_state(const nlohmann::json& j) {
  const auto bad = [](const std::string& why) { return make_error(ErrorKind::protocol, "bad job state from host: " + why); };
  if (!j.is_object()) return bad("not an object");
  JobState state;
  if (j.contains("status")) {
    if (!j["status"].is_string()) return bad("status is not a string");
    auto status = job_status_from(j["status"].get_ref<const std::string&>());
    if (!status) return bad("unknown status");
    state.status = *status;
  }
  if (j.contains("attempt")) {
    auto attempt = small_int(j["attempt"]);
    if (!attempt) return bad("attempt is not an integer");
    state.attempt = *attempt;
  }
  for (const char* key : {"pid", "node_rank"}) {
    if (j.contains(key) && !j[key].is_number_integer()) return bad(std::string(key) + " is not an integer");
  }
  if (j.contains("pid")) state.pid = util::json_int64(j["pid"]).value_or(0);
  if (j.contains("exit_codes")) {
    if (!j["exit_codes"].is_array()) return bad("exit_codes is not an array");
    for (const auto& code : j["exit_codes"]) {
      if (code.is_null()) {
        state.exit_codes.emplace_back();
        continue;
      }
      auto value = small_int(code);
      if (!value) return bad("an exit code is not an integer");
      state.exit_codes.emplace_back(*value);
    }
  }
  if (j.contains("failed_rank") && !j["failed_rank"].is_null()) {
    auto rank = small_int(j["failed_rank"]);
    if (!rank || *rank < 0) return bad("failed_rank is not a rank");
    state.failed_rank = *rank;
  }
  return state;
}

}  // namespace choline::agent
