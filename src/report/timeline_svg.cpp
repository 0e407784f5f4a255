#include <choline/report/timeline_svg.hpp>

#include <choline/util/json.hpp>
#include <choline/records/cost.hpp>
#include <choline/util/html.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace choline::report {

namespace {

std::string shortened(const std::string& text, std::size_t most) {
  return text.size() <= most ? text : text.substr(0, most - 3) + "...";
}

}  // namespace

TimelineGeometry timeline_geometry(const records::RunRecord& record, double end_epoch_s, double width) {
  TimelineGeometry g;
  const double start = records::parse_iso8601(record.created_at).value_or(end_epoch_s);
  const double span = std::max(end_epoch_s - start, 1.0);
  g.unit = span <= 300 ? "s" : span <= 300 * 60 ? "min" : "h";
  const double per_unit = g.unit == "s" ? 1 : g.unit == "min" ? 60 : 3600;

  g.rows.push_back("attempts");
  for (const auto& host : record.hosts)
    g.rows.push_back(shortened("node " + std::to_string(host.node) + " " + host.host.id, 34));
  g.box.width = width;
  g.box.left = 230;
  g.box.top = 10;
  g.box.bottom = 40;
  g.box.height = g.box.top + g.row_height * static_cast<double>(g.rows.size()) + g.box.bottom;

  const Ticks ticks = nice_ticks(0, span / per_unit, 7);
  const LinearScale x{0, ticks.hi, g.box.plot_left(), g.box.plot_right()};
  for (double value : ticks.values) g.ticks.push_back({value, x(value), tick_label(value, ticks.spacing)});
  const auto at = [&](const std::string& iso, double fallback) {
    const auto seconds = records::parse_iso8601(iso);
    return x(((seconds ? *seconds : fallback) - start) / per_unit);
  };

  for (const auto& attempt : record.attempts) {
    TimelineBar bar;
    bar.row = 0;
    bar.label = "attempt " + std::to_string(attempt.number);
    bar.title = "attempt " + std::to_string(attempt.number) + " from " + attempt.started_at + " to " +
                (attempt.ended_at.empty() ? "(running)" : attempt.ended_at) + ": " +
                (attempt.outcome.empty() ? "running" : attempt.outcome) +
                (attempt.resume_from.empty() ? "" : "; resumed from " + attempt.resume_from);
    bar.css = "attempt a" + std::to_string((attempt.number - 1) % 6 + 1);
    bar.x0 = at(attempt.started_at, end_epoch_s);
    bar.x1 = std::max(at(attempt.ended_at, end_epoch_s), bar.x0 + 1);
    g.bars.push_back(bar);
  }
  for (std::size_t k = 0; k < record.hosts.size(); ++k) {
    const records::HostRecord& host = record.hosts[k];
    std::string created, released;
    for (const auto& event : record.events) {
      if (!event.is_object() || util::json_text(event, "id") != host.host.id) continue;
      const auto type = records::kind_of(event);
      if (type == records::JournalEvent::host_created && created.empty()) created = util::json_text(event, "at");
      if (type == records::JournalEvent::host_released && !created.empty() && released.empty()) released = util::json_text(event, "at");
    }
    const bool lost = host.released_because.rfind("lost", 0) == 0;
    TimelineBar bar;
    bar.row = static_cast<int>(k) + 1;
    bar.label = host.host.gpu.empty() ? host.host.provider : std::to_string(host.host.slots) + " x " + host.host.gpu;
    bar.title = "node " + std::to_string(host.node) + ": " + host.host.provider + " " + host.host.id + " (" +
                host.host.address + "), held from " + (created.empty() ? "?" : created) + " to " +
                (released.empty() ? "(held)" : released) +
                (host.released_because.empty() ? "" : "; released: " + host.released_because) +
                (host.host.price_per_hour > 0 ? fmt::format("; ${:.3f}/h", host.host.price_per_hour) : "");
    bar.css = lost ? "host lost" : "host";
    bar.x0 = at(created, start);
    bar.x1 = std::max(at(released, end_epoch_s), bar.x0 + 1);
    g.bars.push_back(bar);
  }
  for (const auto& loss : record.host_losses) {
    for (std::size_t k = 0; k < record.hosts.size(); ++k) {
      if (record.hosts[k].host.id != loss.host_id || record.hosts[k].node != loss.node) continue;
      g.marks.push_back(
          {static_cast<int>(k) + 1, at(loss.at, end_epoch_s),
           "node " + std::to_string(loss.node) + " " + loss.host_id + " lost at " + loss.at + ": " + loss.reason});
      break;
    }
  }
  return g;
}

std::string render_timeline_svg(const TimelineGeometry& g) {
  const ChartBox& b = g.box;
  std::string svg = fmt::format(
      "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
      "height=\"{1}\" "
      "role=\"img\" aria-label=\"timeline of attempts and hosts\" data-rows=\"{2}\">\n<title>timeline of attempts and "
      "hosts</title>\n",
      svg_coord(b.width), svg_coord(b.height), g.rows.size());
  const auto row_top = [&](int row) { return b.top + g.row_height * row; };
  for (std::size_t row = 0; row < g.rows.size(); ++row) {
    const double y = row_top(static_cast<int>(row));
    svg += fmt::format("<text class=\"row-label\" x=\"{}\" y=\"{}\">{}</text>\n", svg_coord(b.left - 8),
                       svg_coord(y + g.row_height * 0.65), util::html_escape(g.rows[row]));
    svg += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\"/>\n", svg_coord(b.plot_left()),
                       svg_coord(b.plot_right()), svg_coord(y + g.row_height));
  }
  const double bottom = row_top(static_cast<int>(g.rows.size()));
  for (const auto& tick : g.ticks) {
    svg += fmt::format(
        "<line class=\"tick-mark\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
        "<text class=\"tick x\" x=\"{0}\" y=\"{3}\">{4}</text>\n",
        svg_coord(tick.position), svg_coord(bottom), svg_coord(bottom + 5), svg_coord(bottom + 18), util::html_escape(tick.label));
  }
  svg += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n", svg_coord(b.plot_left()),
                     svg_coord(bottom), svg_coord(b.plot_right()));
  svg += fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\">time since the run was created ({})</text>\n",
                     svg_coord((b.plot_left() + b.plot_right()) / 2), svg_coord(b.height - 4), util::html_escape(g.unit));
  for (const auto& bar : g.bars) {
    const double y = row_top(bar.row) + 4;
    svg += fmt::format(
        "<g class=\"bar {}\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\"/>",
        util::html_escape(bar.css), util::html_escape(bar.title), svg_coord(bar.x0), svg_coord(y), svg_coord(bar.x1 - bar.x0),
        svg_coord(g.row_height - 8));
    if (bar.x1 - bar.x0 > 7.0 * static_cast<double>(bar.label.size())) {
      svg += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>", svg_coord(bar.x0 + 4), svg_coord(y + g.row_height * 0.5),
                         util::html_escape(bar.label));
    }
    svg += "</g>\n";
  }
  for (const auto& mark : g.marks) {
    const double y = row_top(mark.row);
    svg += fmt::format("<g class=\"loss\"><title>{}</title><path d=\"M{} {} l6 -9 l-12 0 z\"/></g>\n",
                       util::html_escape(mark.title), svg_coord(mark.x), svg_coord(y + g.row_height - 2));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace choline::report
