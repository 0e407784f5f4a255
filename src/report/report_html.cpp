#include <choline/report/report_html.hpp>

#include <choline/util/json.hpp>
#include <choline/records/cost.hpp>
#include <choline/report/metric_series.hpp>
#include <choline/report/model_card.hpp>
#include <choline/report/run_timeline.hpp>
#include <choline/report/svg_chart.hpp>
#include <choline/report/timeline_svg.hpp>
#include <choline/util/html.hpp>
#include <choline/util/strings.hpp>
#include <choline/version.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace choline::report {

namespace {

using util::html_escape;

// Attempt colours: bands are the light tone, lines and points the dark one.
constexpr const char* k_style = R"css(
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d2330;
       margin: 0 auto; padding: 24px 32px 48px; max-width: 1000px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #dde1e8; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 18px 0 4px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
pre { background: #f5f6f8; padding: 10px 12px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 8px 0; }
dl.facts dt { color: #5b6474; } dl.facts dd { margin: 0; }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #e4e7ec; }
.state.succeeded { background: #d3f0dc; color: #11602c; } .state.failed { background: #fbd9d6; color: #8a1c12; }
.state.running, .state.provisioning { background: #dbe8fb; color: #17407a; }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; border-bottom: 1px solid #eef0f3; }
th { color: #5b6474; font-weight: 600; }
.caption { color: #5b6474; font-size: 12.5px; margin: 0 0 6px; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: #394150; }
svg .tick.y, svg .row-label { text-anchor: end; } svg .tick.x, svg .axis-label { text-anchor: middle; }
svg .chart-title { font-weight: 600; font-size: 12px; }
svg .grid { stroke: #e6e9ee; stroke-width: 1; } svg .axis, svg .tick-mark { stroke: #8a93a3; stroke-width: 1; }
svg .line { fill: none; stroke-width: 1.6; } svg .pt { stroke: none; }
svg .band { opacity: 0.55; } svg .band-label { fill: #6b7383; font-size: 10.5px; }
svg .mark line { stroke-width: 1.5; stroke-dasharray: 4 3; } svg .mark text { font-size: 10.5px; font-weight: 600; }
svg .mark.restart line { stroke: #b26b00; } svg .mark.restart text { fill: #b26b00; }
svg .mark.host-lost line { stroke: #c0261b; } svg .mark.host-lost text { fill: #c0261b; }
svg .mark.resumed line { stroke: #5a4bb5; } svg .mark.resumed text { fill: #5a4bb5; }
svg .bar rect { fill: #9fb3cf; } svg .bar.host rect { fill: #8fb9a8; } svg .bar.lost rect { fill: #e3a39c; }
svg .bar text { font-size: 10.5px; fill: #1d2330; } svg .loss path { fill: #c0261b; }
.band.a1, .bar.a1 rect { fill: #e3ecf9; } .line.a1 { stroke: #2f6fca; } .pt.a1 { fill: #2f6fca; }
.band.a2, .bar.a2 rect { fill: #fdebd8; } .line.a2 { stroke: #d9740f; } .pt.a2 { fill: #d9740f; }
.band.a3, .bar.a3 rect { fill: #e1f3e4; } .line.a3 { stroke: #2c8f46; } .pt.a3 { fill: #2c8f46; }
.band.a4, .bar.a4 rect { fill: #f3e3f3; } .line.a4 { stroke: #9a3c9a; } .pt.a4 { fill: #9a3c9a; }
.band.a5, .bar.a5 rect { fill: #fbe4e4; } .line.a5 { stroke: #c23b3b; } .pt.a5 { fill: #c23b3b; }
.band.a6, .bar.a6 rect { fill: #e6e6e6; } .line.a6 { stroke: #555; } .pt.a6 { fill: #555; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; vertical-align: -1px; margin-right: 4px; }
.swatch.a1 { background: #2f6fca; } .swatch.a2 { background: #d9740f; } .swatch.a3 { background: #2c8f46; }
.swatch.a4 { background: #9a3c9a; } .swatch.a5 { background: #c23b3b; } .swatch.a6 { background: #555; }
.legend span { margin-right: 14px; } details { margin: 6px 0 14px; } summary { cursor: pointer; }
footer { margin-top: 36px; color: #8a93a3; font-size: 12px; }
)css";

std::string esc(const std::string& text) {
  return html_escape(text);
}

int attempt_class(int attempt) {
  return (attempt - 1) % 6 + 1;
}

std::string duration_text(double seconds) {
  if (seconds < 0) seconds = 0;
  const auto total = static_cast<long long>(std::llround(seconds));
  if (total < 60) return fmt::format("{} s", total);
  if (total < 3600) return fmt::format("{} min {} s", total / 60, total % 60);
  return fmt::format("{} h {} min", total / 3600, (total % 3600) / 60);
}

std::string value_text(const nlohmann::json& value) {
  if (value.is_number_float()) return fmt::format("{:.6g}", value.get<double>());
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

void fact(std::string& html, const std::string& name, const std::string& escaped_value) {
  html += "<dt>" + esc(name) + "</dt><dd>" + escaped_value + "</dd>\n";
}

std::string summary_section(const ReportInputs& in, double end_epoch) {
  const records::RunRecord& r = in.record;
  std::string html = "<dl class=\"facts\">\n";
  fact(html, "state", "<span class=\"state " + esc(to_string(r.state)) + "\">" + esc(to_string(r.state)) + "</span>");
  fact(html, "command", "<code>" + esc(util::join(r.command, " ")) + "</code>");
  fact(html, "entry", r.entry.empty() ? "(a command after --)" : "<code>" + esc(r.entry) + "</code>");
  fact(html, "project", "<code>" + esc(r.project_dir) + "</code>");
  fact(html, "hardware",
       esc(fmt::format("{} x {} per host, {} node(s), on {}", r.options.spec.count, r.options.spec.gpu,
                       r.options.spec.nodes, r.options.provider)));
  fact(html, "created", esc(r.created_at));
  const auto created = records::parse_iso8601(r.created_at);
  fact(html, "duration",
       esc(created ? duration_text(end_epoch - *created) : "unknown") + (records::is_final(r.state) ? "" : " so far"));
  const records::RunCost cost = records::cost_of(r, end_epoch);
  fact(html, "cost",
       esc(fmt::format("${:.2f}", cost.spent)) +
           (cost.per_hour > 0 ? esc(fmt::format(" (${:.3f}/h now)", cost.per_hour)) : std::string()));
  fact(html, "attempts",
       esc(fmt::format("{} ({} restart(s) after job failures, {} host loss(es))", r.attempts.size(), r.restarts,
                       r.host_losses.size())));
  fact(html, "checkpoints",
       esc(fmt::format("{} with model cards, in {}", in.cards.size(),
                       std::filesystem::absolute(r.checkpoints_dir()).lexically_normal().string())));
  html += "</dl>\n";
  return html;
}

std::string metrics_section(const ReportInputs& in) {
  std::string html = "<h2 id=\"metrics\">Metrics</h2>\n";
  const auto names = metric_names(in.history);
  if (names.empty()) {
    return html +
           "<p class=\"caption\">This run reported no metrics. Workers report them by printing lines like "
           "<code>choline-metrics: {&quot;step&quot;: 120, &quot;loss&quot;: 0.41}</code> (rank 0&#39;s lines count); "
           "choline merges them across attempts into metrics.jsonl.</p>\n";
  }
  const auto spans = attempt_spans(in.history);
  const auto boundaries = attempt_boundaries(in.record);
  html += "<p class=\"legend caption\">";
  std::vector<int> seen;
  for (const auto& span : spans) {
    if (std::find(seen.begin(), seen.end(), span.attempt) != seen.end()) continue;
    seen.push_back(span.attempt);
    html += fmt::format("<span><i class=\"swatch a{}\"></i>attempt {} (steps {}&#8211;{})</span>",
                        attempt_class(span.attempt), span.attempt, span.first_step, span.last_step);
  }
  html += "</p>\n";
  if (!boundaries.empty()) {
    html += "<ul class=\"caption boundaries\">\n";
    for (const auto& boundary : boundaries) {
      html += "<li>attempt " + std::to_string(boundary.attempt) + " began after a <b>" + esc(to_string(boundary.kind)) +
              "</b>: " + esc(boundary.reason) + " (" + esc(boundary.at) + ")</li>\n";
    }
    html += "</ul>\n";
  }
  const auto latest = latest_values(in.history);
  for (const auto& name : names) {
    const auto series = series_of(in.history, name);
    const auto geometry = chart_geometry(series, spans, boundaries);
    html += "<section class=\"metric\">\n<h3>" + esc(name) + "</h3>\n";
    const auto it = latest.find(name);
    if (it != latest.end()) {
      html += "<p class=\"caption\">" +
              esc(fmt::format("{} points; latest {} at step {} (attempt {})", series.size(),
                              value_text(it->second.value), it->second.step, it->second.attempt)) +
              (geometry.points.size() < series.size() ? esc(fmt::format("; {} drawn", geometry.points.size())) : "") +
              "</p>\n";
    }
    html += render_svg_chart(geometry, name) + "</section>\n";
  }
  return html;
}

std::string timeline_section(const ReportInputs& in, double end_epoch) {
  const records::RunRecord& r = in.record;
  std::string html = "<h2 id=\"timeline\">Timeline</h2>\n";
  html += render_timeline_svg(timeline_geometry(r, end_epoch));
  html +=
      "<h3>Attempts</h3>\n<table class=\"attempts\"><tr><th>#</th><th>started</th><th>ended</th><th>resumed "
      "from</th><th>outcome</th></tr>\n";
  for (const auto& a : r.attempts) {
    html +=
        fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", a.number, esc(a.started_at),
                    esc(a.ended_at.empty() ? "(running)" : a.ended_at),
                    esc(a.resume_from.empty() ? "-" : a.resume_from), esc(a.outcome.empty() ? "running" : a.outcome));
  }
  html +=
      "</table>\n<h3>Hosts</h3>\n<table class=\"hosts\"><tr><th>node</th><th>host</th><th>address</th><th>hardware</th>"
      "<th>$/h</th><th>released because</th></tr>\n";
  for (const auto& h : r.hosts) {
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", h.node,
                        esc(h.host.provider + " " + h.host.id), esc(h.host.address),
                        esc(std::to_string(h.host.slots) + " x " + (h.host.gpu.empty() ? "?" : h.host.gpu)),
                        esc(fmt::format("{:.3f}", h.host.price_per_hour)),
                        esc(h.released_because.empty() ? (h.state == records::HostState::released ? "released" : "held")
                                                       : h.released_because));
  }
  html += "</table>\n";
  if (!r.host_losses.empty()) {
    html +=
        "<h3>Host losses</h3>\n<table class=\"losses\"><tr><th>at</th><th>node</th><th>host</th><th>reason</th></tr>\n";
    for (const auto& loss : r.host_losses) {
      html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", esc(loss.at), loss.node,
                          esc(loss.host_id), esc(loss.reason));
    }
    html += "</table>\n";
  }
  html += "<details><summary>Journal (" + std::to_string(r.events.size()) +
          " events)</summary>\n<table class=\"journal\">"
          "<tr><th>at</th><th>event</th><th>details</th></tr>\n";
  for (const auto& event : r.events) {
    if (!event.is_object()) continue;
    nlohmann::json details = event;
    details.erase("at");
    details.erase("type");
    html += "<tr><td>" + esc(util::json_text(event, "at")) + "</td><td>" + esc(util::json_text(event, "type")) +
            "</td><td class=\"mono\">" + esc(details.empty() ? "" : details.dump()) + "</td></tr>\n";
  }
  html += "</table></details>\n";
  return html;
}

std::string cards_section(const ReportInputs& in) {
  std::string html = "<h2 id=\"cards\">Model cards</h2>\n";
  if (in.cards.empty()) {
    return html +
           "<p class=\"caption\">No checkpoint of this run has come home yet (workers write them to "
           "<code>$CHOLINE_CKPT_DIR</code>).</p>\n";
  }
  for (const auto& card : in.cards) {
    std::string name = "checkpoint";
    if (card.contains("checkpoint") && card["checkpoint"].is_object()) name = card["checkpoint"].value("name", name);
    html += "<section class=\"card\"><h3>" + esc(name) + "</h3>\n<pre>" + esc(format_model_card(card)) + "</pre>\n";
    html += "<details><summary>" + esc(card_name_for(name)) + "</summary><pre>" + esc(card.dump(2)) +
            "</pre></details></section>\n";
  }
  return html;
}

}  // namespace

double report_end_epoch(const records::RunRecord& record, double now_epoch_s) {
  if (!records::is_final(record.state)) return now_epoch_s;
  for (auto it = record.events.rbegin(); it != record.events.rend(); ++it) {
    if (records::is_event(*it, records::JournalEvent::finished)) {
      if (auto at = records::parse_iso8601(util::json_text(*it, "at"))) return *at;
    }
  }
  return now_epoch_s;
}

std::string render_report_html(const ReportInputs& in) {
  const double end_epoch = report_end_epoch(in.record, in.now_epoch_s);
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing may load or run: the page is a document, whatever a host put into its metrics.
  html +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src "
      "data:\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>choline run " + esc(in.record.id) + "</title>\n<style>" + std::string(k_style) +
          "</style>\n</head>\n<body>\n";
  html += "<h1>Run <span class=\"mono\">" + esc(in.record.id) + "</span></h1>\n";
  html += summary_section(in, end_epoch);
  html += metrics_section(in);
  html += timeline_section(in, end_epoch);
  html += cards_section(in);
  html += "<footer>Generated by choline " + esc(version()) + " at " + esc(in.generated_at) + " from " +
          esc(std::filesystem::absolute(in.record.file()).lexically_normal().string()) +
          " and metrics.jsonl.</footer>\n</body>\n</html>\n";
  return html;
}

}  // namespace choline::report
