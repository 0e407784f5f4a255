#pragma once
// Where a run's hosts come from and go back to. The executor runs an attempt on the hosts a pool
// hands it: the run's own pool (what `choline train` uses) rents each from the provider and
// releases it when the run gives it back; a shared pool (shared_pool.hpp) keeps hosts between
// runs, so the next run on a warm host pays neither a boot nor an agent install nor setup.
//
// Money rule, as for providers: a host newly rented is passed to the `record` callback before
// anything else is done with it, and a pool releases (or keeps track of) every host it rented.

#include <choline/providers/provider.hpp>
#include <choline/run/host_session.hpp>

#include <functional>
#include <memory>
#include <string>

namespace choline::run {

// A host handed to a run.
struct Lease {
  providers::Host host;
  // Prepared before for the same preparation (agent installed, setup run, interpreter checked):
  // only the project needs pushing.
  bool warm = false;
  // On a warm host: the interpreter its preparation found torch in ("" when not checked), so the
  // run need not ask again (interpreter_known_on_host).
  std::string python;
  std::string pool;  // the shared pool it came from ("" for the run's own)
};

class HostPool {
 public:
  virtual ~HostPool() = default;

  // Journals a host for the run before anything else is done with it; a failure gives it back.
  using RecordHost = std::function<Status(const Lease& lease)>;

  // A host for `request`: one the pool holds idle (never one of request.exclude; a warm one for
  // `preparation` first), else a new one from the provider. Returns once the provider committed
  // (the host may still be booting).
  virtual Result<Lease> acquire(const providers::HostRequest& request, const std::string& preparation,
                                const RecordHost& record) = 0;

  // Where a host stands, and the host as it is once up (see Provider::status and located).
  virtual Result<providers::HostStatus> status(const providers::Host& host) = 0;
  virtual providers::Host located(const providers::Host& host) = 0;

  // The control of a host the pool handed out: opened once (the connection is kept while the
  // pool holds the host), safe to ask for from several threads.
  virtual HostControl& control(const providers::Host& host) = 0;

  // The host is ready for runs with `preparation` (a key over the setup commands and the
  // interpreter): a later lease with the same key is warm. `python`: the interpreter found to have
  // torch on it ("" if none was checked), handed to those leases.
  virtual void prepared(const providers::Host& host, const std::string& preparation, const std::string& python) = 0;

  // The run is done with the host. `lost`: it died or cannot be trusted, and is released to the
  // provider and forgotten. Otherwise the run's own pool releases it, and a shared pool keeps it
  // for the next run.
  virtual Status give_back(const providers::Host& host, bool lost) = 0;

  virtual providers::Provider& provider() = 0;
};

// The pool of one run: rents through `provider`, opens hosts with `open`, releases every host
// given back.
std::unique_ptr<HostPool> make_own_pool(providers::Provider& provider, HostOpener open);

// The key warm leases are matched on: the setup commands and the interpreter that ran them.
std::string preparation_key(const std::vector<std::string>& setup, const std::string& python);

}  // namespace choline::run
