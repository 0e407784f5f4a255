#pragma once
// A pool of hosts that runs use one after another (a sweep's trials): rented once, up to a
// capacity, and handed to each run in turn. A host a run gives back stays up, prepared, with its
// connection open, so the next run on it pays only the project's delta; a host a run lost is
// released and the next acquire rents its replacement. Every host is journaled by the pool's
// owner before it is used, and release_all() gives everything back and checks it is gone.
// Safe to use from the threads of several runs at once.

#include <choline/run/host_pool.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace choline::run {

class SharedPool final : public HostPool {
 public:
  // What the pool's owner journals about the pool's own hosts (sweep.json).
  struct Journal {
    // A host was rented: recorded before it is used. A failure releases it at once.
    std::function<Status(const providers::Host& host)> rented;
    // A host went back to its provider, and why.
    std::function<void(const providers::Host& host, const std::string& why)> released;
    // Giving a host back failed: it may still be billing.
    std::function<void(const providers::Host& host, const Error& error)> release_failed;
  };

  // `name` labels the pool's hosts at the provider (in place of a run id); at most `capacity`
  // hosts are held at once.
  SharedPool(std::string name, providers::Provider& provider, HostOpener open, int capacity, Journal journal);
  ~SharedPool() override;

  // A host the pool held before (its owner's journal says so, e.g. a sweep resumed by another
  // process): held again, cold; `leased`: a run still holds it (a trial re-attached to it), so
  // no other run gets it until that run gives it back.
  void adopt(const providers::Host& host, bool leased = false);

  Result<Lease> acquire(const providers::HostRequest& request, const std::string& preparation,
                        const RecordHost& record) override;
  Result<providers::HostStatus> status(const providers::Host& host) override;
  providers::Host located(const providers::Host& host) override;
  HostControl& control(const providers::Host& host) override;
  void prepared(const providers::Host& host, const std::string& preparation, const std::string& python) override;
  Status give_back(const providers::Host& host, bool lost) override;
  providers::Provider& provider() override { return m_provider; }

  // Releases one host before its time (it failed runs for reasons that were not theirs: a bad
  // GPU), and forgets it; the next acquire rents another.
  Status drop(const std::string& host_id, const std::string& why);

  // Releases every host the pool holds (Provider::release verifies each is gone): an error
  // naming the hosts that could not be released.
  Status release_all(const std::string& why);

  struct HostView {
    providers::Host host;
    bool leased = false;
    std::string prepared_for;  // the preparation key it is warm for ("": cold)
    std::string python;        // the interpreter that preparation found torch in ("": not checked)
  };
  std::vector<HostView> hosts() const;
  int capacity() const { return m_capacity; }

 private:
  struct Held {
    providers::Host host;
    int slot = 0;  // names the host at the provider, like a node of a run
    bool leased = false;
    std::string prepared_for;
    std::string python;  // see HostView::python
    std::unique_ptr<HostControl> control;
  };

  Status release_locked(std::map<std::string, Held>::iterator it, const std::string& why,
                        std::unique_lock<std::mutex>& lock);
  int free_slot_locked() const;

  std::string m_name;
  providers::Provider& m_provider;
  HostOpener m_open;
  int m_capacity;
  Journal m_journal;
  mutable std::mutex m_mutex;
  std::map<std::string, Held> m_hosts;  // by host id
  std::vector<int> m_slots_renting;     // creates under way (they count against the capacity)
  std::vector<std::string> m_lost;      // machines the pool released as lost: never rented again
};

}  // namespace choline::run
