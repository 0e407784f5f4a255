#include <choline/run/shared_pool.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace choline::run {

namespace {

std::string machine_of(const providers::Host& host) {
  return host.access.value("machine", host.id);
}

bool excluded(const providers::Host& host, const std::vector<std::string>& exclude) {
  return std::find(exclude.begin(), exclude.end(), machine_of(host)) != exclude.end() ||
         std::find(exclude.begin(), exclude.end(), host.id) != exclude.end();
}

}  // namespace

SharedPool::SharedPool(std::string name, providers::Provider& provider, HostOpener open, int capacity, Journal journal)
    : m_name(std::move(name)),
      m_provider(provider),
      m_open(std::move(open)),
      m_capacity(std::max(1, capacity)),
      m_journal(std::move(journal)) {}

SharedPool::~SharedPool() = default;

void SharedPool::adopt(const providers::Host& host, bool leased) {
  std::lock_guard lock(m_mutex);
  Held held;
  held.host = host;
  held.slot = free_slot_locked();
  held.leased = leased;
  m_hosts[host.id] = std::move(held);
}

int SharedPool::free_slot_locked() const {
  for (int slot = 0;; ++slot) {
    const bool used =
        std::any_of(m_hosts.begin(), m_hosts.end(), [&](const auto& h) { return h.second.slot == slot; }) ||
        std::count(m_slots_renting.begin(), m_slots_renting.end(), slot);
    if (!used) return slot;
  }
}

Result<Lease> SharedPool::acquire(const providers::HostRequest& request, const std::string& preparation,
                                  const RecordHost& record) {
  std::unique_lock lock(m_mutex);
  // An idle host, warm for this preparation first.
  Held* chosen = nullptr;
  for (auto& [id, held] : m_hosts) {
    if (held.leased || excluded(held.host, request.exclude)) continue;
    if (!chosen || (held.prepared_for == preparation && chosen->prepared_for != preparation)) chosen = &held;
  }
  if (chosen) {
    chosen->leased = true;
    const bool warm = !preparation.empty() && chosen->prepared_for == preparation;
    Lease lease{chosen->host, warm, warm ? chosen->python : std::string(), m_name};
    lock.unlock();
    if (auto ok = record(lease); !ok) {
      std::lock_guard again(m_mutex);
      if (auto it = m_hosts.find(lease.host.id); it != m_hosts.end()) it->second.leased = false;
      return ok.error();
    }
    return lease;
  }
  if (static_cast<int>(m_hosts.size() + m_slots_renting.size()) >= m_capacity) {
    return make_error(ErrorKind::capacity,
                      "all " + std::to_string(m_capacity) + " hosts of pool " + m_name + " are in use");
  }
  // A new host for the pool: named after the pool and a slot, never on a machine it lost.
  const int slot = free_slot_locked();
  m_slots_renting.push_back(slot);
  providers::HostRequest rent = request;
  rent.run_id = m_name;
  rent.node = slot;
  for (const auto& machine : m_lost) {
    if (std::find(rent.exclude.begin(), rent.exclude.end(), machine) == rent.exclude.end())
      rent.exclude.push_back(machine);
  }
  lock.unlock();
  auto host = m_provider.create(rent);
  Status journaled = host ? m_journal.rented(*host) : Status{};
  lock.lock();
  m_slots_renting.erase(std::find(m_slots_renting.begin(), m_slots_renting.end(), slot));
  if (!host) return host.error();
  if (!journaled) {
    lock.unlock();
    if (auto released = m_provider.release(*host); !released && m_journal.release_failed) {
      m_journal.release_failed(*host, released.error());
    }
    return journaled.error();
  }
  Held held;
  held.host = *host;
  held.slot = slot;
  held.leased = true;
  m_hosts[host->id] = std::move(held);
  lock.unlock();
  Lease lease{*host, false, "", m_name};
  if (auto ok = record(lease); !ok) {
    std::lock_guard again(m_mutex);
    if (auto it = m_hosts.find(host->id); it != m_hosts.end()) it->second.leased = false;
    return ok.error();
  }
  return lease;
}

Result<providers::HostStatus> SharedPool::status(const providers::Host& host) {
  return m_provider.status(host);
}

providers::Host SharedPool::located(const providers::Host& host) {
  providers::Host up = m_provider.located(host);
  std::lock_guard lock(m_mutex);
  if (auto it = m_hosts.find(up.id); it != m_hosts.end()) it->second.host = up;  // the next run gets the address too
  return up;
}

HostControl& SharedPool::control(const providers::Host& host) {
  std::lock_guard lock(m_mutex);
  auto it = m_hosts.find(host.id);
  if (it == m_hosts.end()) {
    // A host the pool does not hold (released while a run still held its record): a control of
    // its own that lives as long as the pool, so the caller's reference stays valid.
    Held orphan;
    orphan.host = host;
    orphan.slot = -1;
    orphan.leased = true;
    it = m_hosts.emplace("(released) " + host.id, std::move(orphan)).first;
  }
  if (!it->second.control) it->second.control = m_open(it->second.host);
  return *it->second.control;
}

void SharedPool::prepared(const providers::Host& host, const std::string& preparation, const std::string& python) {
  std::lock_guard lock(m_mutex);
  if (auto it = m_hosts.find(host.id); it != m_hosts.end()) {
    it->second.prepared_for = preparation;
    it->second.python = python;
  }
}

Status SharedPool::release_locked(std::map<std::string, Held>::iterator it, const std::string& why,
                                  std::unique_lock<std::mutex>& lock) {
  const providers::Host host = it->second.host;
  m_hosts.erase(it);
  lock.unlock();
  auto ok = m_provider.release(host);
  if (!ok) {
    spdlog::error("could not release {} of pool {}: {}", host.id, m_name, ok.error().message);
    if (m_journal.release_failed) m_journal.release_failed(host, ok.error());
  } else if (m_journal.released) {
    m_journal.released(host, why);
  }
  lock.lock();
  return ok;
}

Status SharedPool::give_back(const providers::Host& host, bool lost) {
  std::unique_lock lock(m_mutex);
  auto it = m_hosts.find(host.id);
  if (it == m_hosts.end()) return {};
  if (!lost) {
    it->second.leased = false;
    return {};
  }
  m_lost.push_back(machine_of(it->second.host));
  return release_locked(it, "lost", lock);
}

Status SharedPool::drop(const std::string& host_id, const std::string& why) {
  std::unique_lock lock(m_mutex);
  auto it = m_hosts.find(host_id);
  if (it == m_hosts.end()) return {};
  m_lost.push_back(machine_of(it->second.host));
  return release_locked(it, why, lock);
}

Status SharedPool::release_all(const std::string& why) {
  std::unique_lock lock(m_mutex);
  std::vector<std::string> failed;
  while (!m_hosts.empty()) {
    auto it = m_hosts.begin();
    const providers::Host host = it->second.host;
    const bool ours = it->second.slot >= 0;
    if (!ours) {
      m_hosts.erase(it);
      continue;
    }
    // Provider::release verifies (REST providers read the instance back until it is gone).
    if (auto ok = release_locked(it, why, lock); !ok) failed.push_back(host.id + " (" + ok.error().message + ")");
  }
  if (failed.empty()) return {};
  std::string list;
  for (const auto& f : failed) list += (list.empty() ? "" : ", ") + f;
  return make_error(ErrorKind::remote, "pool " + m_name + " could not release: " + list +
                                           "; check the provider's console (choline stop retries)");
}

std::vector<SharedPool::HostView> SharedPool::hosts() const {
  std::lock_guard lock(m_mutex);
  std::vector<HostView> views;
  for (const auto& [id, held] : m_hosts) {
    if (held.slot >= 0) views.push_back({held.host, held.leased, held.prepared_for, held.python});
  }
  return views;
}

}  // namespace choline::run
