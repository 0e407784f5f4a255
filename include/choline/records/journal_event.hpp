#pragma once
// The kinds of event run.json records, one list shared by the code that writes the journal (the
// run's executor) and every reader (the lifecycle's snapshot, cost, status, timelines, cards).
// The names are the file format: they never change, new kinds are only added.

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

namespace choline::records {

enum class JournalEvent {
  created,             // the run record exists
  host_created,        // a host was rented (or leased from a pool) for a node: paid from here
  host_up,             // the provider told where it is
  host_ready,          // agent, project and setup are in place
  host_lost,           // the host stopped answering or died
  host_released,       // given back (to the provider, or to the pool it was leased from)
  release_failed,      // giving it back failed: it may still be billing
  provision_failed,    // a create was refused (counted against k_max_create_tries)
  replacement_wait,    // waited for a replacement host (counted against replacement_timeout)
  interpreter_chosen,  // another python than the configured one has torch on the host
  data_staged,         // a host holds the run's data entries: per entry its version and what crossed
  attempt_started,
  launched,  // a node's supervisor runs (its pid)
  attempt_ended,
  detached,    // the laptop stopped watching; the job goes on
  reattached,  // choline resume found the job running and follows it again
  resumed,     // choline resume starts a new attempt
  finished,    // the run reached a final state
};

const char* to_string(JournalEvent kind);
std::optional<JournalEvent> journal_event_from(std::string_view name);

// The kind of one journaled event, or nullopt when it is not an object with a "type" this
// version knows.
std::optional<JournalEvent> kind_of(const nlohmann::json& event);

// Whether `event` is of `kind`.
bool is_event(const nlohmann::json& event, JournalEvent kind);

}  // namespace choline::records
