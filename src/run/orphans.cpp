#include <choline/run/orphans.hpp>

#include <choline/providers/registry.hpp>

#include <spdlog/spdlog.h>

#include <set>

namespace choline::run {

namespace {

std::vector<std::string> names_of(const std::string& provider) {
  if (provider == "all") return {"vast", "runpod", "lambda"};
  return {provider};
}

Result<std::unique_ptr<providers::Provider>> provider_named(const std::string& name) {
  spec::RunOptions options;
  options.provider = name;
  return providers::make_provider(options);
}

}  // namespace

std::vector<providers::Host> unowned(const std::vector<providers::Host>& labelled,
                                     const std::vector<records::RunRecord>& runs) {
  std::set<std::pair<std::string, std::string>> held;  // (provider, label)
  for (const auto& run : runs) {
    for (const auto& host : run.hosts) {
      if (host.state != records::HostState::released)
        held.insert({host.host.provider, host.host.access.value("label", "")});
    }
  }
  std::vector<providers::Host> out;
  for (const auto& host : labelled) {
    if (!held.count({host.provider, host.access.value("label", "")})) out.push_back(host);
  }
  return out;
}

Result<std::vector<providers::Host>> find_orphans(const std::filesystem::path& project_dir,
                                                  const std::string& provider) {
  const auto names = names_of(provider);
  std::vector<providers::Host> labelled;
  for (const auto& name : names) {
    auto made = provider_named(name);
    auto found = made ? (*made)->labelled_instances("choline-") : Result<std::vector<providers::Host>>(made.error());
    if (!found) {
      if (names.size() == 1) return found.error();
      spdlog::warn("{}: {}", name, found.error().message);
      continue;
    }
    labelled.insert(labelled.end(), found->begin(), found->end());
  }
  return unowned(labelled, records::list_runs(project_dir).runs);
}

Result<int> destroy_orphans(const std::filesystem::path& project_dir, const std::string& provider, std::ostream& out) {
  auto orphans = find_orphans(project_dir, provider);
  if (!orphans) return orphans.error();
  int failed = 0;
  for (const auto& host : *orphans) {
    auto made = provider_named(host.provider);
    if (!made) return made.error();
    if (auto ok = (*made)->release(host); !ok) {
      ++failed;
      out << "could not destroy " << host.provider << " instance " << host.id << ": " << ok.error().message << "\n";
    } else {
      out << "destroyed " << host.provider << " instance " << host.id << " (" << host.access.value("label", "")
          << ")\n";
    }
  }
  if (orphans->empty()) out << "no orphaned choline instances\n";
  return failed ? 1 : 0;
}

Result<int> release_leftovers(records::RunRecord& record, std::ostream& out) {
  auto provider = providers::make_provider(record.options);
  if (!provider) return provider.error();
  int failed = 0;
  for (auto& host : record.hosts) {
    if (host.state == records::HostState::released) continue;
    if (auto ok = (*provider)->release(host.host); !ok) {
      ++failed;
      out << "could not release " << host.host.id << ": " << ok.error().message << "\n";
      if (auto j = record.journal(records::JournalEvent::release_failed,
                                  {{"node", host.node}, {"id", host.host.id}, {"error", ok.error().message}});
          !j) {
        return j.error();
      }
      continue;
    }
    host.state = records::HostState::released;
    host.released_because = "released by choline stop";
    if (auto j = record.journal(records::JournalEvent::host_released, {{"node", host.node}, {"id", host.host.id}}); !j)
      return j.error();
    out << "released " << host.host.id << "\n";
  }
  return failed ? 1 : 0;
}

}  // namespace choline::run
