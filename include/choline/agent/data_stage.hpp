#pragma once
// The agent's side of bringing one data entry to a run on its host (`choline agent data-push`
// and `data-fetch`): take the entry's lock in the host's data cache, reuse the cached version
// when there is one, else build it (a sync from the laptop into a stage seeded with the previous
// version, or a download), check it against its id, publish it, and link it into the run's
// working directory. The laptop side is remote/data_push.hpp.
//
// The verbs talk over the agent's stdin/stdout. Before anything else they write status lines:
//   wait                              another staging of the same entry holds the lock
//   have <files> <bytes>              the host holds this version: linked, nothing to send
//   need <files> <bytes>              (data-push) a sync stream follows, into a stage seeded with
//                                     a version of <files> files and <bytes> bytes (0 0: none)
//   progress <bytes> <attempt>        (data-fetch) downloaded so far
//   retry <attempt> <why>             (data-fetch) a transfer failed and is tried again
//   extract                           (data-fetch) unpacking
//   done <files> <bytes> <downloaded> (data-fetch) published and linked
// Errors end the verb with a non-zero exit and the message on stderr; whatever was half-built is
// removed first.

#include <choline/error.hpp>
#include <choline/transport/transport.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace choline::agent {

// Where an entry goes on the host, common to both verbs.
struct StageTarget {
  std::string cache_dir;  // the host's data cache (data_cache_dir of the agent directory)
  std::string id;         // the entry's content id (data_cache_policy.hpp)
  std::string work_dir;   // the run's working directory; `to` is relative to it
  std::string to;
  std::string run_root;            // the run's directory on the host (its state.json tells if it runs)
  std::optional<double> limit_gb;  // data_cache_gb; unset: default_cache_limit
};

// data-push: the entry's content arrives as a sync stream. `file_name` is set for a single-file
// entry (the stage then holds that one file and runs link to it). `bytes` is its announced size
// (room is made for it before it arrives); `source` names it for later versions' deltas.
struct PushRequest {
  StageTarget target;
  std::string source;
  std::string file_name;
  std::uint64_t bytes = 0;
};
Status serve_data_push(const PushRequest& request, transport::Stream& stdio);

// data-fetch: the download's details come as JSON on stdin, because they may hold credentials:
// {"url", "headers": {...}, "sha256", "extract", "shown" (the url as written), "name" (the file's
// name when not extracted)}.
Status serve_data_fetch(const StageTarget& target, transport::Stream& stdio);

// data-list: every cached entry as one JSON array on stdout (for `choline data status`).
Status serve_data_list(const std::string& cache_dir, transport::Stream& stdio);

}  // namespace choline::agent
