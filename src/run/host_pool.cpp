#include <choline/run/host_pool.hpp>

#include <choline/util/hash.hpp>

#include <map>
#include <mutex>

namespace choline::run {

namespace {

// Rents per request, releases per give-back: a run's hosts live exactly as long as it uses them.
class OwnPool final : public HostPool {
 public:
  OwnPool(providers::Provider& provider, HostOpener open) : m_provider(provider), m_open(std::move(open)) {}

  Result<Lease> acquire(const providers::HostRequest& request, const std::string&, const RecordHost& record) override {
    auto host = m_provider.create(request);
    if (!host) return host.error();
    Lease lease{*host, false, "", ""};
    if (auto ok = record(lease); !ok) {
      // A paid machine the record cannot mention must not outlive this moment.
      if (auto released = m_provider.release(*host); !released) {
        return make_error(ok.error().kind, ok.error().message + "; and releasing " + host->id + " failed (" +
                                               released.error().message + "): release it in the provider's console");
      }
      return ok.error();
    }
    return lease;
  }

  Result<providers::HostStatus> status(const providers::Host& host) override { return m_provider.status(host); }
  providers::Host located(const providers::Host& host) override { return m_provider.located(host); }

  HostControl& control(const providers::Host& host) override {
    std::lock_guard lock(m_mutex);
    auto& slot = m_controls[host.id];
    if (!slot) slot = m_open(host);
    return *slot;
  }

  void prepared(const providers::Host&, const std::string&, const std::string&) override {}

  Status give_back(const providers::Host& host, bool) override {
    {
      std::lock_guard lock(m_mutex);
      m_controls.erase(host.id);
    }
    return m_provider.release(host);
  }

  providers::Provider& provider() override { return m_provider; }

 private:
  providers::Provider& m_provider;
  HostOpener m_open;
  std::mutex m_mutex;
  std::map<std::string, std::unique_ptr<HostControl>> m_controls;
};

}  // namespace

std::unique_ptr<HostPool> make_own_pool(providers::Provider& provider, HostOpener open) {
  return std::make_unique<OwnPool>(provider, std::move(open));
}

std::string preparation_key(const std::vector<std::string>& setup, const std::string& python) {
  util::Hash128 hash;
  for (const auto& command : setup) hash.update(command.data(), command.size() + 1);
  hash.update(python.data(), python.size());
  return util::to_hex(hash.digest());
}

}  // namespace choline::run
