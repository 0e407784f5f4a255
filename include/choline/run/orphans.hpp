#pragma once
// Instances labelled choline-* at a provider that no run record of this project holds: what a
// crashed laptop leaves behind, still billing. `choline status --provider P` lists them and
// `choline stop --orphans` destroys them.

#include <choline/providers/provider.hpp>
#include <choline/records/run_record.hpp>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace choline::run {

// Pure: the instances whose label names no host this project's runs hold (released hosts count
// as not held: an instance still alive after its release is a leak too).
std::vector<providers::Host> unowned(const std::vector<providers::Host>& labelled,
                                     const std::vector<records::RunRecord>& runs);

// Asks each provider (names; "all": vast, runpod, lambda) for its labelled instances. A provider
// that cannot be asked (no key) is a warning unless it is the only one.
Result<std::vector<providers::Host>> find_orphans(const std::filesystem::path& project_dir,
                                                  const std::string& provider);

// Destroys them (verified by the provider), reporting each on `out`.
Result<int> destroy_orphans(const std::filesystem::path& project_dir, const std::string& provider, std::ostream& out);

// For a finished run whose hosts could not all be released: releases them again. Returns 0
// when nothing is held anymore.
Result<int> release_leftovers(records::RunRecord& record, std::ostream& out);

}  // namespace choline::run
