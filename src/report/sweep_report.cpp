// The HTML report of a sweep (sweep_report.hpp): hand-drawn SVG over the scales and ticks of
// svg_chart.hpp, every chart readable back from data- attributes by the tests.
#include <choline/report/sweep_report.hpp>

#include <choline/report/svg_chart.hpp>
#include <choline/util/html.hpp>
#include <choline/version.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

namespace choline::report {

namespace {

using util::html_escape;

constexpr const char* k_sweep_style = R"css(
body { font: 14px/1.45 system-ui, "DejaVu Sans", sans-serif; color: #1d2330; margin: 0 auto; padding: 24px 32px 48px; max-width: 1000px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #dde1e8; padding-bottom: 4px; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
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
svg .pc { fill: none; stroke-width: 1.3; opacity: 0.85; }
)css";

struct Box {
  double width = 920, height = 300, left = 70, right = 20, top = 20, bottom = 44;
};

std::string number_text(double value) {
  return fmt::format("{:.6g}", value);
}

const char* trial_class(const records::TrialRecord& trial, int best_id) {
  if (trial.id == best_id) return "best";
  if (trial.state == records::TrialStatus::stopped) return "stopped";
  if (trial.state == records::TrialStatus::failed) return "failed";
  return "ran";
}

// The metric's values of one trial, in step order.
std::vector<std::pair<std::int64_t, double>> metric_points(const std::vector<records::MetricPoint>& history,
                                                           const std::string& metric) {
  std::vector<std::pair<std::int64_t, double>> points;
  for (const auto& point : history) {
    if (point.values.contains(metric) && point.values[metric].is_number()) {
      const double value = point.values[metric].get<double>();
      if (std::isfinite(value)) points.emplace_back(point.step, value);
    }
  }
  return points;
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
    const auto points = metric_points(it->second, in.sweep.metric);
    if (points.empty()) continue;
    std::string path;
    for (const auto& [step, value] : points) {
      path += fmt::format("{}{},{}", path.empty() ? "M" : " L", svg_coord(x(static_cast<double>(step))),
                          svg_coord(y(value)));
    }
    svg += fmt::format(
        R"(<path class="trial {}" data-trial="{}" data-state="{}" data-points="{}" data-last-step="{}" d="{}"/>)",
        trial_class(*trial, best_id), trial->id, to_string(trial->state), points.size(), points.back().first, path);
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
                       trial_class(trial, best_id), trial.id, number_text(*trial.best), svg_coord(x(*position)),
                       svg_coord(y(*trial.best)));
  }
  return svg + "</svg>";
}

// Parallel coordinates: an axis per parameter and one for the metric, a line per trial,
// coloured from grey (worst) to red (best).
std::string parallel_chart(const SweepReportInputs& in, const std::vector<ParamAxis>& axes_list, int best_id) {
  if (axes_list.empty()) return "";
  Box box;
  box.height = 260;
  box.bottom = 30;
  const auto range = best_value_range(in.sweep);
  if (!range) return "";
  const double lo = range->first, hi = range->second;
  const std::size_t columns = axes_list.size() + 1;
  const auto column_x = [&](std::size_t i) {
    return box.left + (box.width - box.left - box.right) * static_cast<double>(i) / static_cast<double>(columns - 1);
  };
  std::string svg = fmt::format(R"(<svg class="parallel-chart" viewBox="0 0 {} {}" data-axes="{}">)",
                                svg_coord(box.width), svg_coord(box.height), columns);
  for (std::size_t i = 0; i < columns; ++i) {
    const std::string name = i < axes_list.size() ? axes_list[i].name : in.sweep.metric;
    svg += fmt::format(
        R"(<line class="axis" x1="{0}" x2="{0}" y1="{1}" y2="{2}"/><text class="axis-label" x="{0}" y="{3}">{4}</text>)",
        svg_coord(column_x(i)), svg_coord(box.top), svg_coord(box.height - box.bottom), svg_coord(box.height - 10),
        html_escape(name));
  }
  const bool up = in.sweep.maximize;
  for (const auto& trial : in.sweep.trials) {
    if (!trial.best || !std::isfinite(*trial.best)) continue;
    std::string path;
    bool complete = true;
    for (std::size_t i = 0; i < columns && complete; ++i) {
      double fraction = 0.5;
      if (i < axes_list.size()) {
        const auto& axis = axes_list[i];
        const auto position = trial.params.contains(axis.name) ? axis.position(trial.params[axis.name]) : std::nullopt;
        if (!position) {
          complete = false;
          break;
        }
        fraction = axis.hi > axis.lo ? (*position - axis.lo) / (axis.hi - axis.lo) : 0.5;
      } else {
        fraction = hi > lo ? (*trial.best - lo) / (hi - lo) : 0.5;
      }
      const double yv = box.height - box.bottom - fraction * (box.height - box.bottom - box.top);
      path += fmt::format("{}{},{}", path.empty() ? "M" : " L", svg_coord(column_x(i)), svg_coord(yv));
    }
    if (!complete) continue;
    const double goodness = hi > lo ? ((up ? *trial.best - lo : hi - *trial.best) / (hi - lo)) : 1.0;
    const int red = static_cast<int>(180 + 12 * goodness * 5.5), other = static_cast<int>(190 - 160 * goodness);
    svg += fmt::format(R"svg(<path class="pc" data-trial="{}" style="stroke: rgb({},{},{})"{} d="{}"/>)svg", trial.id,
                       std::min(red, 245), other, other, trial.id == best_id ? R"( stroke-width="2.6")" : "", path);
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

}  // namespace

std::string render_sweep_report_html(const SweepReportInputs& in) {
  const records::SweepRecord& sweep = in.sweep;
  // Best first by the goal; trials without a value last.
  std::vector<const records::TrialRecord*> ordered;
  for (const auto& trial : sweep.trials) ordered.push_back(&trial);
  std::stable_sort(ordered.begin(), ordered.end(), [&](const auto* a, const auto* b) {
    const bool av = a->best && std::isfinite(*a->best), bv = b->best && std::isfinite(*b->best);
    if (av != bv) return av;
    if (!av) return a->id < b->id;
    if (*a->best != *b->best) return sweep.maximize ? *a->best > *b->best : *a->best < *b->best;
    return a->id < b->id;
  });
  const int best_id = !ordered.empty() && ordered.front()->best ? ordered.front()->id : -1;
  const auto axes_list = param_axes(sweep);

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
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
  html += R"(<p class="caption">One line per trial across the parameters and the metric (red: better).</p>)";
  html += parallel_chart(in, axes_list, best_id);
  for (const auto& axis : axes_list) html += param_chart(in, axis, best_id);
  html +=
      "<h2>Trials, best first</h2><table><tr><th>trial</th><th>state</th><th>best</th><th>latest</th>"
      "<th>resource</th><th>host</th><th>parameters</th></tr>";
  for (const auto* trial : ordered) {
    std::string state = to_string(trial->state);
    if (trial->state == records::TrialStatus::stopped && trial->rung >= 0)
      state = "stopped early at rung " + std::to_string(trial->rung);
    html += fmt::format(
        R"(<tr data-trial="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="mono">{}</td><td class="mono">{}</td></tr>)",
        trial->id, trial->id, html_escape(state), trial->best ? number_text(*trial->best) : "-",
        trial->latest ? number_text(*trial->latest) : "-", trial->resource, html_escape(trial->host),
        params_cell(trial->params));
  }
  html += "</table>";
  html += "<p class=\"caption\">choline " + html_escape(version()) + " · generated " + html_escape(in.generated_at) +
          "</p></body></html>\n";
  return html;
}

}  // namespace choline::report
