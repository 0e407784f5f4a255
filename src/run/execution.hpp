#pragma once
// What the parts of the run's executor share while one run executes (private to src/run/):
// the record and the lock that guards it while nodes are worked on in parallel, the seams, the
// pool the hosts come from, and the log sink. controller.cpp drives the loop; provisioning,
// preparation, launch, preflight and following each carry out one kind of action with it.

#include <choline/logs/log_sink.hpp>
#include <choline/records/metrics.hpp>
#include <choline/records/run_record.hpp>
#include <choline/remote/data_push.hpp>
#include <choline/run/controller.hpp>
#include <choline/run/host_pool.hpp>
#include <choline/run/lifecycle.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace choline::run {

struct Execution {
  Execution(records::RunRecord& record, Seams& seams, HostPool& pool, const std::map<std::string, std::string>& job_env,
            std::ostream& out, bool observer)
      : record(record),
        seams(seams),
        pool(pool),
        job_env(job_env),
        out(out),
        observer(observer),
        preparation(preparation_key(record.options.setup, record.options.python)) {}

  records::RunRecord& record;
  Seams& seams;
  HostPool& pool;
  const std::map<std::string, std::string>& job_env;  // forwarded variables' values (never journaled)
  std::ostream& out;
  bool observer;
  // What warm hosts are matched on: the setup and the interpreter as configured (the run may
  // settle on another interpreter on the way, and the next run starts from the same config).
  const std::string preparation;
  std::mutex record_mutex;  // nodes are rented and prepared in parallel
  std::optional<Error> journal_error;

  int nodes() const { return std::max(1, record.options.spec.nodes); }

  // Journals an event under the record's lock. A write that failed is remembered: the run then
  // goes on only as far as releasing what it holds, and ends with that error.
  Status journal(records::JournalEvent kind, nlohmann::json fields = nlohmann::json::object());
  // The same, for callers that hold the lock already.
  Status journal_locked(records::JournalEvent kind, nlohmann::json fields = nlohmann::json::object());

  // The control of the host serving `node` now (it must have one).
  HostControl& control(int node);

  // Gives a host back to the pool and records it: released (and why), or, when giving it back
  // failed, a release_failed event that says it may still be billing. `lost`: the pool must not
  // hand it out again.
  void release(records::HostRecord& host, const std::string& why, bool lost);

  // Hosts handed over warm by the pool (by host id): they skip the agent install and setup. The
  // value is the interpreter their preparation found torch in ("": not known), see Lease::python.
  std::map<std::string, std::string> warm_hosts;

  // The run's data entries resolved and scanned on this machine, once per execution (the first
  // caller does it; a failure is remembered and returned to every caller): what every host gets.
  Result<const std::vector<remote::PreparedData>*> data();
  // The ignore patterns of the project push: choline.json's, and the data entries' sources and
  // `to` paths (data travels on its own). Valid once data() succeeded.
  std::vector<std::string> push_ignores();

  // The run's log sink (the seams' own, or one over the run's logs directory echoing to `out`),
  // picking metrics lines out as they stream by.
  logs::LogSink& sink();

 private:
  std::unique_ptr<logs::LogSink> m_sink;
  std::unique_ptr<records::MetricsCollector> m_metrics;
  std::mutex m_data_mutex;
  std::optional<Result<std::vector<remote::PreparedData>>> m_data;
  std::vector<std::string> m_data_ignores;
};

// ---- The parts: each carries out one kind of action and returns the events it leads to ----

// provisioning.cpp: rents a host for each node (one after another, in node order: two parallel
// creates must not buy one offer), then waits until all are up (their boots overlap). One event
// per outcome: Provisioned for the nodes that came up together, the failures one by one.
std::vector<Event> provision(Execution& run, const std::vector<int>& nodes);

// preparation.cpp: agent, project, data, setup and interpreter on one node's host. Prepared or
// PrepareFailed. Safe to run for several nodes at once.
Event prepare(Execution& run, int node);

// preparation.cpp: the run's data entries checked and scanned before anything is rented, so a
// wrong path or a missing credential is a usage error that costs nothing. Every later prepare()
// uses the same scan.
Status prepare_data_early(Execution& run);

// launch.cpp: seeds checkpoints, picks the port, runs the preflight, records the attempt and
// starts every node's supervisor. LaunchFailed, or nullopt once every node runs.
std::optional<Event> launch(Execution& run, const action::Launch& launch);

// preflight.cpp: node 0 listens on the master port and a second one, every other node connects.
// LaunchFailed when a node cannot reach node 0 (or node 0 cannot listen), else nullopt. May pick
// record.master_port again when node 0 finds it taken.
std::optional<Event> preflight(Execution& run);

// following.cpp: follows every host of the running attempt until something happens.
Event follow(Execution& run);

// following.cpp: brings node 0's checkpoints home (and tells the hooks).
void pull_checkpoints(Execution& run);

}  // namespace choline::run
