#pragma once
// How a job stands on one host, as the supervisor reports it (state.json, and the state frames
// of the log stream). Parsed and validated once, where it arrives from the host: everything past
// that point reads typed fields, never raw JSON.

#include <choline/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace choline::agent {

// `unknown`: the host has no state yet (nothing launched, or state.json not written).
enum class JobStatus { unknown, starting, running, succeeded, failed, stopped };

const char* to_string(JobStatus status);
std::optional<JobStatus> job_status_from(std::string_view text);

// A final status: every worker of the attempt has ended.
bool is_final(JobStatus status);

struct JobState {
  JobStatus status = JobStatus::unknown;
  int attempt = 0;
  std::int64_t pid = 0;                       // the supervisor's pid on the host
  std::vector<std::optional<int>> exit_codes;  // by global rank; nullopt while running or unknown
  std::optional<int> failed_rank;             // the rank whose failure ended the attempt

  // The failed rank's exit code, when the host reported one.
  std::optional<int> failed_exit_code() const;
};

// A state object has the shape the supervisor writes: status one of the names above, exit_codes
// integers or nulls, failed_rank a rank within exit_codes or null, attempt and pid integers.
// Anything else is a protocol error (a host is a stranger: its state must not make the laptop
// throw or index out of range).
Result<JobState> parse_job_state(const nlohmann::json& j);

}  // namespace choline::agent
