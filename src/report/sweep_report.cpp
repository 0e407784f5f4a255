// The HTML report of a sweep (sweep_report.hpp): hand-drawn SVG over the scales and ticks of
// svg_chart.hpp, every chart readable back from data- attributes by the tests.
#include <choline/report/sweep_report.hpp>

#include <choline/report/model_card.hpp>
#include <choline/report/svg_chart.hpp>
#include <choline/report/sweep_status.hpp>
#include <choline/util/html.hpp>
#include <choline/version.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <utility>

namespace choline::report {

namespace {

using util::html_escape;

constexpr const char* k_sweep_style = R"css(
body { font: 14px/1.45 system-ui, "DejaVu Sans", sans-serif; color: #1d2330; margin: 0 auto; padding: 24px 32px 48px; max-width: 1000px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #dde1e8; padding-bottom: 4px; }
code, .mono, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; border-bottom: 1px solid #eef0f3; }
th { color: #5b6474; font-weight: 600; } .caption { color: #5b6474; font-size: 12.5px; margin: 0 0 6px; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: #394150; }
svg .tick.y { text-anchor: end; } svg .tick.x, svg .axis-label { text-anchor: middle; }
svg .grid { stroke: #e6e9ee; stroke-width: 1; } svg .axis { stroke: #8a93a3; stroke-width: 1; }
svg .trial { fill: none; stroke: #2f6fca; stroke-width: 1.4; opacity: 0.8; }
svg .trial.stopped { stroke: #b3b9c4; } svg .trial.failed { stroke: #e3a39c; }
svg .trial.best { stroke: #c0261b; stroke-width: 2.6; opacity: 1; }
svg .stop-mark { fill: #8a93a3; } svg .dot { fill: #2f6fca; } svg .dot.stopped { fill: #b3b9c4; } svg .dot.best { fill: #c0261b; }
svg .pc { fill: none; stroke-width: 1.3; opacity: 0.85; } svg .pc.best { opacity: 1; }
pre { background: #f6f7f9; padding: 8px 10px; overflow-x: auto; margin: 4px 0; }
summary { cursor: pointer; color: #5b6474; font-size: 13px; }
svg .pc-tick { font-size: 10.5px; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
)css";

struct Box {
  double width = 920, height = 300, left = 70, right = 20, top = 20, bottom = 44;
};

std::string number_text(double value) {
  return fmt::format("{:.6g}", value);
}

// Shortest text that reads back as the same double: what data- attributes hold, so tests can
// compare them with metrics.jsonl exactly.
std::string data_number(double value) {
  return fmt::format("{}", value);
}

const char* trial_class(const records::TrialRecord& trial, int best_id) {
  if (trial.id == best_id) return "best";
  if (trial.state == records::TrialStatus::stopped) return "stopped";
  if (trial.state == records::TrialStatus::failed) return "failed";
  return "ran";
}

// The metric's values of one trial by step. A trial resumed from a checkpoint reports the steps
// after it again: the newest report of a step is the one its later steps grew from, so it wins
// and the line never runs backwards (the trial's own run report shows every attempt).
std::vector<std::pair<std::int64_t, double>> metric_points(const std::vector<records::MetricPoint>& history,
                                                           const std::string& metric) {
  std::map<std::int64_t, double> by_step;
  for (const auto& point : history) {
    if (point.values.contains(metric) && point.values[metric].is_number()) {
      const double value = point.values[metric].get<double>();
      if (std::isfinite(value)) by_step[point.step] = value;
    }
  }
  return {by_step.begin(), by_step.end()};
}

// What a trial's line draws: as run charts do, a long series thinned evenly to
// k_max_drawn_points, its last point kept (where a stopped trial stopped).
std::vector<std::pair<std::int64_t, double>> drawn_points(std::vector<std::pair<std::int64_t, double>> points) {
  std::vector<std::pair<std::int64_t, double>> drawn;
  for (std::size_t k = 0; k < points.size(); ++k) {
    if (drawn_when_thinned(k, points.size())) drawn.push_back(points[k]);
  }
  return drawn;
}

void axes(std::string& svg, const Box& box, const Ticks& xt, const Ticks& yt, const LinearScale& x,
          const LinearScale& y, const std::string& x_label, bool log_x) {
  for (double v : yt.values) {
    svg += fmt::format(R"(<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>)", svg_coord(box.left),
                       svg_coord(box.width - box.right), svg_coord(y(v)), svg_coord(y(v)));
    svg += fmt::format(R"(<text class="tick y" x="{}" y="{}">{}</text>)", svg_coord(box.left - 6), svg_coord(y(v) + 4),
                       html_escape(tick_label(v, yt.spacing)));
  }
  for (double v : xt.values) {
    const std::string label = log_x ? fmt::format("{:g}", std::pow(10.0, v)) : tick_label(v, xt.spacing);
    svg += fmt::format(R"(<text class="tick x" x="{}" y="{}">{}</text>)", svg_coord(x(v)),
                       svg_coord(box.height - box.bottom + 16), html_escape(label));
  }
  svg += fmt::format(R"(<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/>)", svg_coord(box.left),
                     svg_coord(box.width - box.right), svg_coord(box.height - box.bottom),
                     svg_coord(box.height - box.bottom));
  svg +=
      fmt::format(R"(<text class="axis-label" x="{}" y="{}">{}</text>)",
                  svg_coord((box.left + box.width - box.right) / 2), svg_coord(box.height - 8), html_escape(x_label));
}

// Every trial's metric over steps in one chart.
std::string trials_chart(const SweepReportInputs& in, int best_id) {
  const Box box;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  std::int64_t max_step = 1;
  for (const auto& trial : in.sweep.trials) {
    auto it = in.histories.find(trial.id);
    if (it == in.histories.end()) continue;
    for (const auto& [step, value] : metric_points(it->second, in.sweep.metric)) {
      lo = std::min(lo, value);
      hi = std::max(hi, value);
      max_step = std::max(max_step, step);
    }
  }
  if (!std::isfinite(lo)) return R"(<p class="caption">No trial reported the metric yet.</p>)";
  const Ticks xt = nice_ticks(0, static_cast<double>(max_step), 8, true);
  const Ticks yt = nice_ticks(lo, hi, 5);
  const LinearScale x{xt.lo, xt.hi, box.left, box.width - box.right};
  const LinearScale y{yt.lo, yt.hi, box.height - box.bottom, box.top};
  std::string svg =
      fmt::format(R"(<svg class="trials-chart" viewBox="0 0 {} {}" data-metric="{}" data-trials="{}">)",
                  svg_coord(box.width), svg_coord(box.height), html_escape(in.sweep.metric), in.sweep.trials.size());
  axes(svg, box, xt, yt, x, y, "step", false);
  // The best trial last, so it is drawn on top.
  std::vector<const records::TrialRecord*> order;
  for (const auto& trial : in.sweep.trials) order.push_back(&trial);
  std::stable_partition(order.begin(), order.end(), [best_id](const auto* t) { return t->id != best_id; });
  for (const auto* trial : order) {
    auto it = in.histories.find(trial->id);
    if (it == in.histories.end()) continue;
    const auto all_points = metric_points(it->second, in.sweep.metric);
    if (all_points.empty()) continue;
    const auto points = drawn_points(all_points);
    std::string path;
    for (const auto& [step, value] : points) {
      path += fmt::format("{}{},{}", path.empty() ? "M" : " L", svg_coord(x(static_cast<double>(step))),
                          svg_coord(y(value)));
    }
    svg +=
        fmt::format(R"(<path class="trial {}" data-trial="{}" data-state="{}" data-points="{}" data-total-points="{}" )"
                    R"(data-last-step="{}" data-last-value="{}" d="{}"/>)",
                    trial_class(*trial, best_id), trial->id, to_string(trial->state), points.size(), all_points.size(),
                    points.back().first, data_number(points.back().second), path);
    if (trial->state == records::TrialStatus::stopped) {
      svg += fmt::format(R"(<circle class="stop-mark" cx="{}" cy="{}" r="3"/>)",
                         svg_coord(x(static_cast<double>(points.back().first))), svg_coord(y(points.back().second)));
    }
  }
  return svg + "</svg>";
}

// A parameter's values on an axis: numbers (log-scaled when positive over more than two
// decades), or the categories in order.
struct ParamAxis {
  std::string name;
  bool numeric = true;
  bool log = false;
  std::vector<std::string> categories;
  double lo = 0, hi = 1;

  std::optional<double> position(const nlohmann::json& value) const {  // in [lo, hi]
    if (numeric) {
      if (!value.is_number()) return std::nullopt;
      const double v = value.get<double>();
      return log ? std::log10(v) : v;
    }
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    auto it = std::find(categories.begin(), categories.end(), text);
    if (it == categories.end()) return std::nullopt;
    return static_cast<double>(it - categories.begin());
  }
};

std::vector<ParamAxis> param_axes(const records::SweepRecord& sweep) {
  std::map<std::string, ParamAxis> axes;
  for (const auto& trial : sweep.trials) {
    for (const auto& [name, value] : trial.params.items()) {
      auto& axis = axes[name];
      axis.name = name;
      if (!value.is_number()) axis.numeric = false;
    }
  }
  std::vector<ParamAxis> out;
  for (auto& [name, axis] : axes) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& trial : sweep.trials) {
      if (!trial.params.contains(name)) continue;
      const auto& value = trial.params[name];
      if (axis.numeric) {
        lo = std::min(lo, value.get<double>());
        hi = std::max(hi, value.get<double>());
      } else {
        const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        if (std::find(axis.categories.begin(), axis.categories.end(), text) == axis.categories.end())
          axis.categories.push_back(text);
      }
    }
    if (axis.numeric) {
      axis.log = lo > 0 && hi / lo > 100;
      axis.lo = axis.log ? std::log10(lo) : lo;
      axis.hi = axis.log ? std::log10(hi) : hi;
    } else {
      axis.lo = 0;
      axis.hi = std::max<double>(1, static_cast<double>(axis.categories.size()) - 1);
    }
    out.push_back(std::move(axis));
  }
  return out;
}

// The lowest and highest best value the trials reached; nullopt when none reported one.
std::optional<std::pair<double, double>> best_value_range(const records::SweepRecord& sweep) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& trial : sweep.trials) {
    if (trial.best && std::isfinite(*trial.best)) {
      lo = std::min(lo, *trial.best);
      hi = std::max(hi, *trial.best);
    }
  }
  if (!std::isfinite(lo)) return std::nullopt;
  return std::pair{lo, hi};
}

// The metric against one parameter: a dot per trial with a value.
std::string param_chart(const SweepReportInputs& in, const ParamAxis& axis, int best_id) {
  Box box;
  box.height = 220;
  const auto range = best_value_range(in.sweep);
  if (!range) return "";
  const double lo = range->first, hi = range->second;
  const Ticks yt = nice_ticks(lo, hi, 4);
  // A log axis ticks at whole decades.
  const Ticks xt = !axis.numeric ? Ticks{axis.lo - 0.5, axis.hi + 0.5, 1, {}}
                   : axis.log    ? nice_ticks(std::floor(axis.lo), std::ceil(axis.hi), 6, true)
                                 : nice_ticks(axis.lo, axis.hi, 6);
  const LinearScale x{xt.lo, xt.hi, box.left, box.width - box.right};
  const LinearScale y{yt.lo, yt.hi, box.height - box.bottom, box.top};
  std::string svg = fmt::format(R"(<svg class="param-chart" viewBox="0 0 {} {}" data-param="{}">)",
                                svg_coord(box.width), svg_coord(box.height), html_escape(axis.name));
  axes(svg, box, xt, yt, x, y, axis.name + (axis.log ? " (log scale)" : ""), axis.log);
  // The value axis is the metric (each trial's best): named along it, as the x axis is.
  svg += fmt::format(R"svg(<text class="axis-label" transform="rotate(-90)" x="{}" y="16">{}</text>)svg",
                     svg_coord(-(box.top + box.height - box.bottom) / 2), html_escape(in.sweep.metric));
  if (!axis.numeric) {
    for (std::size_t i = 0; i < axis.categories.size(); ++i) {
      svg += fmt::format(R"(<text class="tick x" x="{}" y="{}">{}</text>)", svg_coord(x(static_cast<double>(i))),
                         svg_coord(box.height - box.bottom + 16), html_escape(axis.categories[i]));
    }
  }
  for (const auto& trial : in.sweep.trials) {
    if (!trial.best || !std::isfinite(*trial.best) || !trial.params.contains(axis.name)) continue;
    const auto position = axis.position(trial.params[axis.name]);
    if (!position) continue;
    svg += fmt::format(R"(<circle class="dot {}" data-trial="{}" data-value="{}" cx="{}" cy="{}" r="4"/>)",
                       trial_class(trial, best_id), trial.id, data_number(*trial.best), svg_coord(x(*position)),
                       svg_coord(y(*trial.best)));
  }
  return svg + "</svg>";
}

// Where a value of a parallel-coordinates axis sits, from 0 (bottom) to 1 (top).
double axis_fraction(double position, double lo, double hi) {
  return hi > lo ? (position - lo) / (hi - lo) : 0.5;
}

// Parallel coordinates: an axis per parameter and one for the metric, each with its values
// written along it (the ends of a numeric one, every category of the others), a line per trial
// coloured from grey (worst) to red (best), the best one thickest and drawn last.
std::string parallel_chart(const SweepReportInputs& in, const std::vector<ParamAxis>& axes_list, int best_id) {
  if (axes_list.empty()) return "";
  Box box;
  box.height = 290;
  box.top = 30;
  box.bottom = 44;
  const auto range = best_value_range(in.sweep);
  if (!range) return "";
  const double lo = range->first, hi = range->second;
  const std::size_t columns = axes_list.size() + 1;
  const auto column_x = [&](std::size_t i) {
    return box.left + (box.width - box.left - box.right) * static_cast<double>(i) / static_cast<double>(columns - 1);
  };
  const auto fraction_y = [&](double fraction) {
    return box.height - box.bottom - fraction * (box.height - box.bottom - box.top);
  };
  std::string svg = fmt::format(R"(<svg class="parallel-chart" viewBox="0 0 {} {}" data-axes="{}">)",
                                svg_coord(box.width), svg_coord(box.height), columns);
  for (std::size_t i = 0; i < columns; ++i) {
    const std::string name = i < axes_list.size() ? axes_list[i].name : in.sweep.metric;
    svg += fmt::format(
        R"(<line class="axis" x1="{0}" x2="{0}" y1="{1}" y2="{2}"/><text class="axis-label" x="{0}" y="{3}">{4}</text>)",
        svg_coord(column_x(i)), svg_coord(box.top), svg_coord(box.height - box.bottom), svg_coord(box.height - 8),
        html_escape(name));
    // The values along the axis: beside it, inwards on the last one so they stay inside the chart.
    std::vector<std::pair<double, std::string>> labels;  // fraction, text
    if (i == axes_list.size()) {
      labels = {{axis_fraction(lo, lo, hi), number_text(lo)}, {axis_fraction(hi, lo, hi), number_text(hi)}};
    } else if (const auto& axis = axes_list[i]; axis.numeric) {
      const auto shown = [&](double v) { return number_text(axis.log ? std::pow(10.0, v) : v); };
      labels = {{axis_fraction(axis.lo, axis.lo, axis.hi), shown(axis.lo)}};
      if (axis.hi > axis.lo) labels.emplace_back(1.0, shown(axis.hi));
    } else {
      for (std::size_t c = 0; c < axis.categories.size(); ++c)
        labels.emplace_back(axis_fraction(static_cast<double>(c), axis.lo, axis.hi), axis.categories[c]);
    }
    // The ends' values just past the axis' ends, clear of the lines that crowd there; the others
    // beside it.
    const bool last = i + 1 == columns;
    for (const auto& [fraction, text] : labels) {
      const double label_y = fraction >= 1   ? box.top - 6
                             : fraction <= 0 ? box.height - box.bottom + 14
                                             : fraction_y(fraction) + 4;
      svg += fmt::format(R"(<text class="pc-tick" x="{}" y="{}" text-anchor="{}">{}</text>)",
                         svg_coord(column_x(i) + (last ? -5 : 5)), svg_coord(label_y), last ? "end" : "start",
                         html_escape(text));
    }
  }
  const bool up = in.sweep.maximize;
  std::vector<const records::TrialRecord*> order;
  for (const auto& trial : in.sweep.trials) order.push_back(&trial);
  std::stable_partition(order.begin(), order.end(), [best_id](const auto* t) { return t->id != best_id; });
  for (const auto* trial : order) {
    if (!trial->best || !std::isfinite(*trial->best)) continue;
    std::string path;
    bool complete = true;
    for (std::size_t i = 0; i < columns && complete; ++i) {
      double fraction = 0.5;
      if (i < axes_list.size()) {
        const auto& axis = axes_list[i];
        const auto position =
            trial->params.contains(axis.name) ? axis.position(trial->params[axis.name]) : std::nullopt;
        if (!position) {
          complete = false;
          break;
        }
        fraction = axis_fraction(*position, axis.lo, axis.hi);
      } else {
        fraction = axis_fraction(*trial->best, lo, hi);
      }
      path +=
          fmt::format("{}{},{}", path.empty() ? "M" : " L", svg_coord(column_x(i)), svg_coord(fraction_y(fraction)));
    }
    if (!complete) continue;
    const double goodness = hi > lo ? ((up ? *trial->best - lo : hi - *trial->best) / (hi - lo)) : 1.0;
    const int red = static_cast<int>(180 + 12 * goodness * 5.5), other = static_cast<int>(190 - 160 * goodness);
    // In the style attribute: the stylesheet's .pc rule would win over a presentation attribute.
    svg += fmt::format(
        R"svg(<path class="pc{}" data-trial="{}" data-value="{}" style="stroke: rgb({},{},{}){}" d="{}"/>)svg",
        trial->id == best_id ? " best" : "", trial->id, data_number(*trial->best), std::min(red, 245), other, other,
        trial->id == best_id ? "; stroke-width: 2.6" : "", path);
  }
  return svg + "</svg>";
}

std::string params_cell(const nlohmann::json& params) {
  std::string text;
  for (const auto& [name, value] : params.items()) {
    text += (text.empty() ? "" : " ") + name + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return html_escape(text);
}

// Best first by the goal; trials without a value last, by id.
std::vector<const records::TrialRecord*> trials_best_first(const records::SweepRecord& sweep) {
  std::vector<const records::TrialRecord*> ordered;
  for (const auto& trial : sweep.trials) ordered.push_back(&trial);
  std::stable_sort(ordered.begin(), ordered.end(), [&](const auto* a, const auto* b) {
    const bool av = a->best && std::isfinite(*a->best), bv = b->best && std::isfinite(*b->best);
    if (av != bv) return av;
    if (!av) return a->id < b->id;
    if (*a->best != *b->best) return sweep.maximize ? *a->best > *b->best : *a->best < *b->best;
    return a->id < b->id;
  });
  return ordered;
}

// The card of the checkpoint to keep: the one whose metrics hold the best value of the sweep's
// metric (the later one on a tie), else the last in name order (the newest for step- and
// epoch-numbered names). Null without cards.
const nlohmann::json* best_card(const std::vector<nlohmann::json>& cards, const std::string& metric, bool maximize) {
  const nlohmann::json* chosen = nullptr;
  std::optional<double> chosen_value;
  for (const auto& card : cards) {
    std::optional<double> value;
    if (card.is_object() && card.contains("metrics") && card["metrics"].is_object() &&
        card["metrics"].contains("values") && card["metrics"]["values"].is_object()) {
      const auto& values = card["metrics"]["values"];
      if (values.contains(metric) && values[metric].is_number() && std::isfinite(values[metric].get<double>()))
        value = values[metric].get<double>();
    }
    if (value) {
      if (!chosen_value || (maximize ? *value >= *chosen_value : *value <= *chosen_value)) {
        chosen = &card;
        chosen_value = value;
      }
    } else if (!chosen_value) {
      chosen = &card;
    }
  }
  return chosen;
}

std::string best_card_section(const SweepReportInputs& in, int best_id) {
  std::string html = "<h2 id=\"best-card\">The best trial's model card</h2>";
  if (best_id < 0) return html + R"(<p class="caption">No trial has a value of the metric yet.</p>)";
  const auto* card = best_card(in.best_trial_cards, in.sweep.metric, in.sweep.maximize);
  if (!card) {
    return html + fmt::format(R"(<p class="caption">No checkpoint of trial {} has come home (workers write them to )"
                              R"(<code>$CHOLINE_CKPT_DIR</code>).</p>)",
                              best_id);
  }
  std::string name = "checkpoint";
  if (card->contains("checkpoint") && (*card)["checkpoint"].is_object())
    name = (*card)["checkpoint"].value("name", name);
  html += fmt::format(
      R"(<p class="caption">Trial {}'s checkpoint <code>{}</code>, at its best {}: where it came from, the command )"
      R"(with the trial's parameters, the code, the data and the metrics at its step.</p>)",
      best_id, html_escape(name), html_escape(in.sweep.metric));
  html += fmt::format(R"(<section class="card" data-trial="{}" data-checkpoint="{}"><pre>{}</pre>)", best_id,
                      html_escape(name), html_escape(format_model_card(*card)));
  html += "<details><summary>" + html_escape(card_name_for(name)) + "</summary><pre>" + html_escape(card->dump(2)) +
          "</pre></details></section>";
  return html;
}

}  // namespace

std::optional<int> sweep_best_trial(const records::SweepRecord& sweep) {
  const auto ordered = trials_best_first(sweep);
  if (ordered.empty() || !ordered.front()->best || !std::isfinite(*ordered.front()->best)) return std::nullopt;
  return ordered.front()->id;
}

std::string render_sweep_report_html(const SweepReportInputs& in) {
  const records::SweepRecord& sweep = in.sweep;
  const auto ordered = trials_best_first(sweep);
  const int best_id = sweep_best_trial(sweep).value_or(-1);
  const auto axes_list = param_axes(sweep);

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  // Nothing may load or run: the page is a document, whatever a host put into its metrics.
  html +=
      R"(<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">)";
  html += "<title>sweep " + html_escape(sweep.id) + "</title><style>" + k_sweep_style + "</style></head><body>";
  html += "<h1>sweep " + html_escape(sweep.id) + "</h1>";
  html +=
      fmt::format(R"(<p class="caption">{} · {} of {} trials, {} at once · {} {} · spent ${:.2f}</p>)",
                  html_escape(to_string(sweep.state)), sweep.trials.size(), sweep.max_trials, sweep.parallel,
                  html_escape(sweep.metric), sweep.maximize ? "(maximize)" : "(minimize)", sweep.spent(in.now_epoch_s));
  if (best_id >= 0) {
    const auto* best = sweep.trial(best_id);
    html += fmt::format(R"(<p>Best: trial {} with {} = <b>{}</b>: <code>{}</code></p>)", best_id,
                        html_escape(sweep.metric), number_text(*best->best), params_cell(best->params));
  }
  html += "<h2>" + html_escape(sweep.metric) + " over steps</h2>";
  html +=
      R"(<p class="caption">Each line is a trial; trials stopped early are grey and end with a dot where they stopped; the best is red.</p>)";
  html += trials_chart(in, best_id);
  html += "<h2>Parameters</h2>";
  html += R"(<p class="caption">One line per trial across the parameters and its best )" + html_escape(sweep.metric) +
          " (red: better).</p>";
  html += parallel_chart(in, axes_list, best_id);
  html += "<h2>" + html_escape(sweep.metric) + " against each parameter</h2>";
  html += R"(<p class="caption">A dot per trial at its best )" + html_escape(sweep.metric) +
          R"(; grey: stopped early, red: the best trial.</p>)";
  for (const auto& axis : axes_list) html += param_chart(in, axis, best_id);
  html += best_card_section(in, best_id);
  html +=
      "<h2>Trials, best first</h2><table><tr><th>trial</th><th>state</th><th>best</th><th>latest</th>"
      "<th>resource</th><th>host</th><th>parameters</th></tr>";
  for (const auto* trial : ordered) {
    html += fmt::format(
        R"(<tr data-trial="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="mono">{}</td><td class="mono">{}</td></tr>)",
        trial->id, trial->id, html_escape(trial_state_text(*trial)), trial->best ? number_text(*trial->best) : "-",
        trial->latest ? number_text(*trial->latest) : "-", trial->resource,
        html_escape(trial_host_text(sweep, trial->host)), params_cell(trial->params));
  }
  html += "</table>";
  html += "<p class=\"caption\">choline " + html_escape(version()) + " · generated " + html_escape(in.generated_at) +
          "</p></body></html>\n";
  return html;
}

}  // namespace choline::report
