// `sweep status` and `sweep best` as text and JSON (sweep_status.hpp).
#include <choline/report/sweep_status.hpp>

#include <choline/records/cost.hpp>
#include <choline/util/progress.hpp>
#include <choline/util/strings.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <string_view>

namespace choline::report {

namespace {

using nlohmann::json;

// The metric as the sweep's own messages print it (sweep::format_metric: printf's %g), so the
// table and the sweep's progress lines show the same digits.
std::string status_metric_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string status_money_text(double usd) {
  std::ostringstream text;
  text << "$" << std::fixed << std::setprecision(2) << usd;
  return text.str();
}

std::vector<const records::TrialRecord*> ordered_trials(const SweepStatusInputs& in) {
  std::vector<const records::TrialRecord*> ordered;
  for (int id : in.best_first) {
    if (const auto* trial = in.sweep.trial(id)) ordered.push_back(trial);
  }
  return ordered;
}

std::vector<std::string> args_of(const SweepStatusInputs& in, int trial_id) {
  const auto it = in.trial_args.find(trial_id);
  return it == in.trial_args.end() ? std::vector<std::string>{} : it->second;
}

// A host in the table's column: cut to fit.
std::string status_host_text(const records::SweepRecord& sweep, const std::string& host) {
  const std::string shown = trial_host_text(sweep, host);
  return shown.size() > 21 ? shown.substr(0, 20) + "~" : shown;
}

// A word as a POSIX shell reads it back: quoted only when it has to be.
std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-_=.,:/+@%").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string gpu_spec_flag(const spec::GpuSpec& spec) {
  return "--" + std::to_string(spec.count) + "x" + spec.gpu;
}

}  // namespace

std::string trial_host_text(const records::SweepRecord& sweep, const std::string& host) {
  if (host.empty()) return "-";
  // The pool names its hosts after the sweep ("<sweep>-node1"): the part after the sweep's id says it.
  return host.rfind(sweep.id + "-", 0) == 0 ? host.substr(sweep.id.size() + 1) : host;
}

std::string trial_state_text(const records::TrialRecord& trial) {
  // Population-based training replaced it: which trial's checkpoint it carries on (the latest).
  if (!trial.copies.empty() && trial.state != records::TrialStatus::failed) {
    const std::string from = "trial " + std::to_string(trial.copies.back().from_trial);
    return trial.state == records::TrialStatus::queued ? "queued, copied " + from
                                                       : to_string(trial.state) + std::string(", copied ") + from;
  }
  switch (trial.state) {
    case records::TrialStatus::stopped:
      return trial.rung >= 0 ? "stopped early at rung " + std::to_string(trial.rung) : "stopped";
    case records::TrialStatus::failed:
      return "failed after " + std::to_string(trial.tries) + (trial.tries == 1 ? " try" : " tries");
    case records::TrialStatus::queued:
      // Queued again: its host was lost, or the sweep was stopped; it resumes from its checkpoint.
      return trial.tries > 0 ? "queued to resume" : "queued";
    case records::TrialStatus::running:
      return trial.tries > 1 ? "lost and resumed" : "running";
    default:
      return to_string(trial.state);
  }
}

std::string sweep_status_text(const SweepStatusInputs& in) {
  const records::SweepRecord& sweep = in.sweep;
  const double spent = sweep.spent(in.now_epoch_s);
  const auto created = records::parse_iso8601(sweep.created_at);
  std::ostringstream out;
  out << "sweep " << sweep.id << ": " << to_string(sweep.state)
      << (sweep.reason.empty() ? "" : " (" + sweep.reason + ")") << "; " << sweep.trials.size() << " of "
      << sweep.max_trials << " trials, " << sweep.parallel << " at once, spent " << status_money_text(spent);
  if (sweep.max_cost) out << " of " << status_money_text(*sweep.max_cost);
  if (created) out << ", " << util::format_duration(std::max(0.0, in.now_epoch_s - *created)) << " since it started";
  out << "\n";
  out << std::left << std::setw(6) << "trial" << std::setw(26) << "state" << std::setw(12)
      << ("best " + sweep.metric).substr(0, 11) << std::setw(12) << "latest" << std::setw(10) << "resource"
      << std::setw(22) << "host" << std::setw(8) << "cost"
      << "params\n";
  for (const auto* t : ordered_trials(in)) {
    out << std::left << std::setw(6) << t->id << std::setw(26) << trial_state_text(*t) << std::setw(12)
        << (t->best ? status_metric_text(*t->best) : "-") << std::setw(12)
        << (t->latest ? status_metric_text(*t->latest) : "-") << std::setw(10) << t->resource << std::setw(22)
        << status_host_text(sweep, t->host) << std::setw(8) << status_money_text(t->cost)
        << util::join(args_of(in, t->id), " ") << "\n";
  }
  return out.str();
}

json sweep_status_json(const SweepStatusInputs& in) {
  const records::SweepRecord& sweep = in.sweep;
  json trials = json::array();
  for (const auto* t : ordered_trials(in)) {
    trials.push_back({{"id", t->id},
                      {"run_id", t->run_id},
                      {"state", to_string(t->state)},
                      {"state_text", trial_state_text(*t)},
                      {"rung", t->rung},
                      {"params", t->params},
                      {"best", t->best ? json(*t->best) : json(nullptr)},
                      {"latest", t->latest ? json(*t->latest) : json(nullptr)},
                      {"resource", t->resource},
                      {"host", t->host},
                      {"cost", t->cost},
                      {"tries", t->tries},
                      {"why", t->why},
                      {"copies", records::copies_json(t->copies)}});
  }
  json hosts = json::array();
  for (const auto& h : sweep.hosts) {
    hosts.push_back(
        {{"id", h.host.id}, {"released", !h.released_at.empty()}, {"released_because", h.released_because}});
  }
  return json{{"id", sweep.id},
              {"state", to_string(sweep.state)},
              {"reason", sweep.reason},
              {"metric", sweep.metric},
              {"maximize", sweep.maximize},
              {"spent", sweep.spent(in.now_epoch_s)},
              {"trials", trials},
              {"hosts", hosts}};
}

Result<std::string> best_trial_command(const SweepStatusInputs& in) {
  const records::SweepRecord& sweep = in.sweep;
  const auto ordered = ordered_trials(in);
  if (ordered.empty() || !ordered.front()->best) {
    return make_error(ErrorKind::not_found, "sweep " + sweep.id + " has no trial with a value of " + sweep.metric +
                                                " yet (choline sweep status " + sweep.id + ")");
  }
  const records::TrialRecord& best = *ordered.front();
  std::vector<std::string> words{"choline", "train"};
  const std::vector<std::string> argv = sweep.source.value("base_argv", std::vector<std::string>{});
  // The entry and its own arguments, as the sweep ran them (the interpreter is train's to add).
  const auto entry = std::find(argv.begin(), argv.end(), sweep.entry);
  if (entry != argv.end()) {
    words.insert(words.end(), entry, argv.end());
  } else {
    words.push_back(sweep.entry);
  }
  words.push_back(gpu_spec_flag(sweep.options.spec));
  if (sweep.options.spec.nodes > 1) words.push_back("--nodes " + std::to_string(sweep.options.spec.nodes));
  if (sweep.options.provider != spec::k_default_provider) words.push_back("--provider " + sweep.options.provider);
  for (const auto& arg : args_of(in, best.id)) words.push_back(shell_word(arg));
  return "# trial " + std::to_string(best.id) + " of " + sweep.id + ": " + sweep.metric + " " +
         status_metric_text(*best.best) + " (" + trial_state_text(best) + ")\n" + util::join(words, " ") + "\n";
}

}  // namespace choline::report
