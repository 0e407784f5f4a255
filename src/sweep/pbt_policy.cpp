// Population-based training's bookkeeping over the journal (pbt_policy.hpp): pure.
#include <choline/sweep/pbt_policy.hpp>

#include <algorithm>

namespace choline::sweep {

using records::TrialStatus;

std::vector<PbtMember> pbt_population(const records::SweepRecord& sweep, const std::set<int>& with_checkpoint) {
  std::vector<PbtMember> members;
  for (const auto& trial : sweep.trials) {
    if (trial.state != TrialStatus::running && trial.state != TrialStatus::finished) continue;
    PbtMember member;
    member.trial_id = trial.id;
    member.params = trial.params;
    member.score = trial.latest;
    member.resource = trial.resource;
    // A finished trial is never due: nothing of it runs to be replaced.
    member.last_perturbation = trial.state == TrialStatus::finished ? trial.resource : trial.perturbed_at;
    member.has_checkpoint = with_checkpoint.count(trial.id) > 0;
    members.push_back(std::move(member));
  }
  return members;
}

std::vector<PbtExploit> take_round(records::SweepRecord& sweep, const PbtRound& round, const std::set<int>& replacing) {
  for (int id : round.due) {
    if (auto* trial = sweep.trial(id)) trial->perturbed_at = trial->resource;
  }
  std::vector<PbtExploit> exploits;
  for (const auto& exploit : round.exploits) {
    const auto* trial = sweep.trial(exploit.trial_id);
    if (!trial || trial->state != TrialStatus::running || replacing.count(exploit.trial_id)) continue;
    exploits.push_back(exploit);
  }
  return exploits;
}

void apply_exploit(records::TrialRecord& trial, const PbtExploit& exploit, std::int64_t source_resource,
                   const std::string& resource_name, const std::string& now) {
  records::PbtCopyRecord copy;
  copy.resource = trial.resource;
  copy.from_trial = exploit.source_trial_id;
  copy.params_before = trial.params;
  copy.at = now;
  trial.copies.push_back(std::move(copy));
  trial.params = exploit.params;
  trial.perturbed_at = source_resource;
  trial.resource = source_resource;
  // The copy is the source's newest checkpoint at home, which may be a pull behind its metric.
  trial.why = "goes on from trial " + std::to_string(exploit.source_trial_id) + "'s newest checkpoint (that trial at " +
              resource_name + " " + std::to_string(source_resource) + "): " + exploit.why;
}

bool goes_on_from_copy(const records::TrialRecord& trial) {
  // ISO 8601 times of one format compare as text.
  return trial.state == TrialStatus::queued && !trial.copies.empty() && trial.copies.back().at >= trial.started_at;
}

}  // namespace choline::sweep
