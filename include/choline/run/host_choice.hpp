#pragma once
// What to rent for a node and what a booting host's poll means, pure: the executor asks the
// provider (or pool) and turns its answers into events with these.

#include <choline/providers/provider.hpp>
#include <choline/records/run_record.hpp>
#include <choline/run/lifecycle.hpp>

#include <optional>
#include <string>
#include <vector>

namespace choline::run {

// The machine behind a host the run held (marketplaces rent instances on machines, and what must
// not be rented again is the machine): its access["machine"], else its id.
std::string machine_of(const records::RunRecord& record, const std::string& host_id);

// Machines a new host for `node` must not be: those this run lost, and those serving its other
// nodes.
std::vector<std::string> excluded_machines(const records::RunRecord& record, int node);

// The request for a new host for `node`: the run's shape, image and price cap, the machines it
// must not be, and how many hosts the node had before (0: its first).
providers::HostRequest host_request_for(const records::RunRecord& record, int node);

// A host whose provider placed it on a machine the request excluded (a provider that does not
// choose the machine itself, see Provider::capabilities): a capacity error worth another create,
// or nullopt when the host will do.
std::optional<Error> landed_on_excluded(const providers::Host& host, const providers::HostRequest& request);

// What one poll of a booting host means: Provisioned when it is up, HostLost when the provider
// reports it gone or the deadline passed, ProvisionFailed(interrupted) on Ctrl-C; nullopt: keep
// waiting. A status that could not be read is waited on (the deadline bounds it).
std::optional<Event> boot_event(int node, const Result<providers::HostStatus>& status, bool interrupted,
                                bool past_deadline);

}  // namespace choline::run
