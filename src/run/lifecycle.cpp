#include <choline/run/lifecycle.hpp>

#include <choline/util/json.hpp>
#include <choline/util/strings.hpp>

#include <algorithm>
#include <cmath>

namespace choline::run {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string node_name(int node) {
  return "node " + std::to_string(node);
}

bool all_ready(const Snapshot& s) {
  for (const auto& node : s.nodes) {
    if (node.phase != NodePhase::ready) return false;
  }
  return !s.nodes.empty();
}

// The next attempt on hosts that are all ready: the laptop's checkpoints go to every node that
// does not already hold them (a gang restart keeps node 0, which wrote them).
Actions launch_next(const Snapshot& s, bool restart) {
  action::Launch launch{s.attempt + 1, {}, restart, restart ? s.restarts + 1 : 0};
  for (int node = 0; node < static_cast<int>(s.nodes.size()); ++node) {
    if (!s.nodes[static_cast<std::size_t>(node)].holds_checkpoints) launch.spread_to.push_back(node);
  }
  return {launch, action::Follow{}};
}

// The run cannot go on: workers stop (if any run), checkpoints come home, hosts go back.
Actions give_up(const Snapshot& s, records::RunState state, const std::string& reason, int exit_code,
                std::optional<Error> error = std::nullopt) {
  Actions actions;
  if (s.attempt_running) {
    actions.push_back(action::StopWorkers{reason, std::nullopt});
    actions.push_back(action::PullCheckpoints{});
  }
  actions.push_back(action::Finish{state, reason, exit_code, std::move(error)});
  return actions;
}

// A host is gone: stop the survivors (their collectives would hang or fail on the missing peer),
// save what node 0 has, give the host back, and rent a replacement for the same node. The next
// attempt starts once every node is ready again.
Actions on_host_loss(const Snapshot& s, int node, const std::string& reason) {
  if (node < 0 || node >= static_cast<int>(s.nodes.size())) return {};
  if (s.nodes[static_cast<std::size_t>(node)].phase == NodePhase::absent) return {};  // already released
  const std::string what = node_name(node) + " lost (" + reason + ")";
  Actions actions;
  if (s.attempt_running) {
    actions.push_back(action::StopWorkers{what, node});
    if (node != 0) actions.push_back(action::PullCheckpoints{});
  }
  actions.push_back(action::Release{node, reason, true});
  if (s.observer) {
    actions.push_back(
        action::Finish{records::RunState::failed, what + "; choline resume replaces it", 1, std::nullopt});
  } else if (s.host_losses + 1 > s.max_host_losses) {
    actions.push_back(
        action::Finish{records::RunState::failed,
                       what + "; no replacement: max_host_losses (" + std::to_string(s.max_host_losses) + ") reached",
                       1, std::nullopt});
  } else {
    actions.push_back(action::Create{node});
  }
  return actions;
}

// A host failed while being prepared or launched: a lost host is replaced; anything else (no
// torch, a failing setup command) is the user's to fix, and retrying would fail the same way.
Actions on_host_error(const Snapshot& s, int node, const Error& error) {
  if (error.kind == ErrorKind::interrupted) return give_up(s, records::RunState::stopped, "interrupted", 130, error);
  if (is_host_loss(error)) return on_host_loss(s, node, error.message);
  return give_up(s, records::RunState::failed, error.message, exit_code_for(error.kind), error);
}

Actions start(const Snapshot& s) {
  Actions actions;
  for (int node = 0; node < static_cast<int>(s.nodes.size()); ++node) {
    if (s.nodes[static_cast<std::size_t>(node)].phase == NodePhase::absent) {
      actions.push_back(action::Create{node});
    } else {
      // A host kept from an earlier attempt gets the project again: it may have changed.
      actions.push_back(action::Prepare{node});
    }
  }
  return actions;
}

}  // namespace

AttemptResult combine_attempt(const std::vector<agent::JobState>& node_states) {
  bool stopped = false;
  const agent::JobState* failed = nullptr;
  for (const auto& state : node_states) {
    if (state.status == agent::JobStatus::failed) {
      if (!failed) failed = &state;
    } else if (state.status != agent::JobStatus::succeeded) {
      stopped = true;
    }
  }
  if (failed) {
    const auto code = failed->failed_exit_code();
    std::string description = "failed";
    if (failed->failed_rank) {
      description +=
          ": rank " + std::to_string(*failed->failed_rank) + " exited " + (code ? std::to_string(*code) : "?");
    }
    return {AttemptOutcome::failed, code && *code != 0 ? *code : 1, description, failed->failed_rank};
  }
  if (stopped) return {AttemptOutcome::stopped, 1, "stopped"};
  return {AttemptOutcome::succeeded, 0, "succeeded"};
}

records::RunState final_state_of(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::succeeded:
      return records::RunState::succeeded;
    case AttemptOutcome::stopped:
      return records::RunState::stopped;
    case AttemptOutcome::failed:
      return records::RunState::failed;
  }
  return records::RunState::failed;
}

Snapshot snapshot_of(const records::RunRecord& record, bool observer) {
  Snapshot s;
  s.state = record.state;
  s.observer = observer;
  s.attempt = record.attempts.empty() ? 0 : record.attempts.back().number;
  s.attempt_running = !record.attempts.empty() && record.attempts.back().ended_at.empty();
  s.restarts = record.restarts;
  s.max_restarts = record.options.max_restarts;
  s.host_losses = static_cast<int>(record.host_losses.size());
  s.max_host_losses = record.options.max_host_losses;
  s.host_timeout_s = record.options.host_timeout_s;
  s.replacement_timeout_s = record.options.replacement_timeout_s;
  for (const auto& e : record.events) {
    if (records::is_event(e, records::JournalEvent::replacement_wait) && e.contains("seconds")) {
      s.replacement_waited_s += std::max(0, util::json_int(e["seconds"]).value_or(0));
    }
  }
  s.provision_failures = static_cast<int>(std::count_if(record.events.begin(), record.events.end(), [](const auto& e) {
    return records::is_event(e, records::JournalEvent::provision_failed);
  }));
  s.nodes.resize(static_cast<std::size_t>(std::max(1, record.options.spec.nodes)));
  for (int node = 0; node < static_cast<int>(s.nodes.size()); ++node) {
    const records::HostRecord* host = record.current_host(node);
    NodeView& view = s.nodes[static_cast<std::size_t>(node)];
    if (!host) continue;
    if (host->state == records::HostState::created) {
      view.phase = NodePhase::created;
    } else {
      view.phase = s.attempt_running && host->agent_pid != 0 ? NodePhase::running : NodePhase::ready;
    }
    view.holds_checkpoints = node == 0 && host->agent_pid != 0;
  }
  return s;
}

bool may_try_another_offer(const Error& error) {
  switch (error.kind) {
    case ErrorKind::capacity:
    case ErrorKind::not_found:
    case ErrorKind::network:
    case ErrorKind::timeout:
    case ErrorKind::remote:
    case ErrorKind::protocol:
      return true;
    default:
      return false;  // a bad key, a wrong spec, Ctrl-C: the next offer would fail the same way
  }
}

std::vector<std::string> fallback_interpreters(const std::string& configured) {
  std::vector<std::string> candidates;
  for (const char* candidate : {"python3", "/usr/bin/python3", "python"}) {
    if (candidate != configured) candidates.emplace_back(candidate);
  }
  return candidates;
}

bool should_try_other_interpreters(const Error& error, bool shares_this_machine) {
  return error.kind == ErrorKind::usage && shares_this_machine;
}

std::optional<std::string> interpreter_known_on_host(bool warm, const std::string& checked,
                                                     const std::string& configured) {
  if (!warm || checked.empty()) return std::nullopt;
  if (checked == configured) return checked;
  const auto fallbacks = fallback_interpreters(configured);
  if (std::find(fallbacks.begin(), fallbacks.end(), checked) == fallbacks.end()) return std::nullopt;
  return checked;
}

Result<int> command_result(const action::Finish& finish, const std::optional<Error>& journal_error) {
  if (finish.error) return *finish.error;
  if (journal_error) return *journal_error;
  return finish.exit_code;
}

bool is_host_loss(const Error& error) {
  return error.kind == ErrorKind::network || error.kind == ErrorKind::timeout;
}

Actions decide(const Snapshot& s, const Event& event) {
  if (records::is_final(s.state)) return {};
  return std::visit(
      Overloaded{
          [&](const event::Start&) { return start(s); },
          [&](const event::Resumed& e) { return e.job_running ? Actions{action::Follow{}} : start(s); },
          [&](const event::Provisioned& e) {
            Actions actions;
            for (int node : e.nodes) actions.push_back(action::Prepare{node});
            return actions;
          },
          [&](const event::WaitOver& e) { return Actions{action::Create{e.node}}; },
          [&](const event::ProvisionFailed& e) {
            if (e.error.kind == ErrorKind::interrupted)
              return give_up(s, records::RunState::stopped, "interrupted while renting", 130, e.error);
            // Refused or gone offers: the next offer (the provider skips what it tried).
            if (may_try_another_offer(e.error) && s.provision_failures < k_max_create_tries)
              return Actions{action::Create{e.node}};
            // A lost host's replacement that cannot be had yet: wait with backoff, up to
            // replacement_timeout, then stop with the checkpoints safe at home.
            if (s.host_losses > 0 && may_try_another_offer(e.error)) {
              if (s.replacement_waited_s < s.replacement_timeout_s) {
                const int wait = std::min({30 << std::clamp(s.provision_failures - k_max_create_tries, 0, 4), 300,
                                           s.replacement_timeout_s - s.replacement_waited_s});
                return Actions{action::Wait{
                    e.node, wait, "no replacement host for " + node_name(e.node) + " yet: " + e.error.message}};
              }
              return give_up(s, records::RunState::stopped,
                             "no replacement host for " + node_name(e.node) + " within replacement_timeout (" +
                                 std::to_string(s.replacement_timeout_s) + " s): " + e.error.message +
                                 "; the checkpoints are at home, and choline resume tries again",
                             1);
            }
            return give_up(s, records::RunState::failed,
                           "could not rent a host for " + node_name(e.node) + ": " + e.error.message,
                           exit_code_for(e.error.kind), e.error.with_context("renting " + node_name(e.node)));
          },
          [&](const event::Prepared&) {
            return all_ready(s) && !s.attempt_running ? launch_next(s, false) : Actions{};
          },
          [&](const event::PrepareFailed& e) { return on_host_error(s, e.node, e.error); },
          [&](const event::LaunchFailed& e) { return on_host_error(s, e.node, e.error); },
          [&](const event::AttemptEnded& e) {
            const AttemptResult& r = e.result;
            Actions actions{action::PullCheckpoints{}};
            if (r.outcome == AttemptOutcome::failed && !s.observer && s.restarts < s.max_restarts) {
              for (auto& next : launch_next(s, true)) actions.push_back(std::move(next));
            } else {
              actions.push_back(
                  action::Finish{final_state_of(r.outcome), r.description, r.exit_code, std::nullopt, r.failed_rank});
            }
            return actions;
          },
          [&](const event::HostLost& e) { return on_host_loss(s, e.node, e.reason); },
          // Watch reports silence only once it reached host_timeout (watch_policy.hpp).
          [&](const event::HeartbeatMissed& e) {
            return on_host_loss(s, e.node,
                                "no heartbeat for " + std::to_string(static_cast<int>(std::floor(e.silent_s))) + " s" +
                                    (e.last_error.empty() ? "" : " (" + e.last_error + ")"));
          },
          [&](const event::Interrupted& e) {
            if (e.stop) return give_up(s, records::RunState::stopped, "stopped by the user", 130);
            if (s.attempt_running) return Actions{action::Detach{}};
            return give_up(s, records::RunState::stopped, "interrupted", 130);
          },
          [&](const event::StopRequested& e) {
            return Actions{action::StopWorkers{e.why, std::nullopt}, action::PullCheckpoints{},
                           action::Finish{records::RunState::stopped, e.why, 0, std::nullopt}};
          },
          [&](const event::CostLimitReached& e) {
            char spent[32];
            std::snprintf(spent, sizeof spent, "%.2f", e.spent);
            return give_up(s, records::RunState::stopped, std::string("cost limit reached ($") + spent + " spent)", 1);
          },
      },
      event);
}

std::string describe(const Action& action) {
  return std::visit(
      Overloaded{
          [](const action::Create& a) { return "Create(" + std::to_string(a.node) + ")"; },
          [](const action::Prepare& a) { return "Prepare(" + std::to_string(a.node) + ")"; },
          [](const action::StopWorkers& a) {
            return std::string("StopWorkers") +
                   (a.except_node ? "(except " + std::to_string(*a.except_node) + ")" : "");
          },
          [](const action::PullCheckpoints&) { return std::string("PullCheckpoints"); },
          [](const action::Release& a) { return "Release(" + std::to_string(a.node) + (a.lost ? ", lost)" : ")"); },
          [](const action::Launch& a) {
            std::vector<std::string> nodes;
            for (int n : a.spread_to) nodes.push_back(std::to_string(n));
            return "Launch(" + std::to_string(a.attempt) + (a.restart ? ", restart" : "") + ", spread [" +
                   util::join(nodes, ",") + "])";
          },
          [](const action::Follow&) { return std::string("Follow"); },
          [](const action::Wait& a) {
            return "Wait(" + std::to_string(a.node) + ", " + std::to_string(a.seconds) + ")";
          },
          [](const action::Detach&) { return std::string("Detach"); },
          [](const action::Finish& a) { return std::string("Finish(") + to_string(a.state) + ")"; },
      },
      action);
}

}  // namespace choline::run
