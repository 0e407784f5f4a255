#include <choline/sweep/config_extension.hpp>

#include <choline/sweep/config_fields.hpp>

#include <algorithm>
#include <cmath>

namespace choline::sweep {

namespace {

using json = nlohmann::json;

void parse_median(const json& node, MedianSettings& m, Problems& problems) {
  Fields fields(node, "choline.median", problems);
  if (!fields.object()) return;
  fields.allow({"startup_trials", "warmup", "interval", "min_trials"});
  std::int64_t value = 0;
  if (fields.integer("startup_trials", value, 0) && node.contains("startup_trials"))
    m.startup_trials = static_cast<int>(value);
  fields.integer("warmup", m.warmup, 0);
  fields.integer("interval", m.interval, 1);
  if (fields.integer("min_trials", value, 1) && node.contains("min_trials")) m.min_trials = static_cast<int>(value);
}

void parse_tpe(const json& node, TpeSettings& t, Problems& problems) {
  Fields fields(node, "choline.tpe", problems);
  if (!fields.object()) return;
  fields.allow({"startup_trials", "candidates"});
  std::int64_t value = 0;
  if (fields.integer("startup_trials", value, 0) && node.contains("startup_trials")) {
    t.startup_trials = static_cast<int>(std::min<std::int64_t>(value, 1000000));
  }
  if (fields.integer("candidates", value, 1) && node.contains("candidates")) {
    t.candidates = static_cast<int>(std::min<std::int64_t>(value, 100000));
  }
}

void parse_pbt(const json& node, PbtSettings& p, Problems& problems) {
  Fields fields(node, "choline.pbt", problems);
  if (!fields.object()) return;
  fields.allow({"interval", "quantile", "resample_probability", "factors", "burn_in"});
  fields.integer("interval", p.interval, 1);
  fields.integer("burn_in", p.burn_in, 0);
  if (fields.number("quantile", p.quantile) && !(p.quantile > 0 && p.quantile <= 0.5)) {
    problems.add("choline.pbt.quantile", "must be in (0, 0.5]: the bottom fraction copies the top fraction");
  }
  if (fields.number("resample_probability", p.resample_probability) &&
      !(p.resample_probability >= 0 && p.resample_probability <= 1)) {
    problems.add("choline.pbt.resample_probability", "must be in [0, 1]");
  }
  if (const auto it = node.find("factors"); it != node.end()) {
    p.factors.clear();
    if (!it->is_array() || it->empty()) {
      problems.add("choline.pbt.factors", "must be a non-empty list of numbers > 0, such as [1.2, 0.8]");
      return;
    }
    for (const auto& factor : *it) {
      if (!factor.is_number() || !(factor.get<double>() > 0) || !std::isfinite(factor.get<double>())) {
        problems.add("choline.pbt.factors", "each must be a number > 0, got " + factor.dump());
        return;
      }
      p.factors.push_back(factor.get<double>());
    }
  }
}

}  // namespace

void parse_choline_extension(const json& node, bool had_early_terminate, SweepConfig& config, Problems& problems) {
  Fields fields(node, "choline", problems);
  if (!fields.object()) return;
  fields.allow({"stopper", "resource", "grace", "eta", "median", "tpe", "pbt"});
  std::string stopper;
  if (fields.choice("stopper", stopper, {"asha", "hyperband", "median", "none"}) && node.contains("stopper")) {
    const StopperKind kind = stopper == "asha"     ? StopperKind::asha
                             : stopper == "median" ? StopperKind::median
                             : stopper == "none"   ? StopperKind::none
                                                   : StopperKind::hyperband;
    if (had_early_terminate && kind != StopperKind::hyperband) {
      config.notes.push_back("early_terminate: not used: choline.stopper chooses " + stopper);
    }
    config.stopper = kind;
  }
  std::string resource;
  if (fields.choice("resource", resource, {"step", "epoch"}) && node.contains("resource")) {
    config.resource = resource == "epoch" ? ResourceKind::epoch : ResourceKind::step;
  }
  fields.integer("grace", config.asha.grace, 1);
  if (fields.number("eta", config.asha.eta) && !(config.asha.eta > 1)) problems.add("choline.eta", "must be > 1");
  if (config.stopper == StopperKind::hyperband && !had_early_terminate) {
    // W&B's rule without W&B's settings: bands from choline's grace and eta.
    config.hyperband.min_iter = config.asha.grace;
    config.hyperband.eta = config.asha.eta;
  }
  if (node.contains("median")) parse_median(node["median"], config.median, problems);
  if (node.contains("tpe")) parse_tpe(node["tpe"], config.tpe, problems);
  if (node.contains("pbt")) parse_pbt(node["pbt"], config.pbt, problems);
}

}  // namespace choline::sweep
