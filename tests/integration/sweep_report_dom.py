#!/usr/bin/env python3
"""Checks a sweep report's DOM (as `chromium --dump-dom` printed it) against the sweep itself.

Usage: sweep_report_dom.py DOM_FILE STATUS_JSON RUNS_DIR [--console LOG] [--netlog NETLOG_JSON]

STATUS_JSON is `choline sweep status --json` (trials best first); RUNS_DIR holds each trial's
run (metrics.jsonl, checkpoints/). What is checked, as issue 21 asks of the page:
  - self-contained: no script, no event handler, nothing with a URL but data: and #anchors, a
    Content-Security-Policy; with --console, Chromium logged no console message (a JS error or a
    blocked load); with --netlog, the page made no network request at all;
  - the metric over steps: a line per trial that reported the metric, its points exactly the
    trial's metrics.jsonl (the newest report of each step), the stopped ones in the grey class
    with a mark at their last point, the best one drawn last, values and steps placed
    monotonically on one pair of axes;
  - parallel coordinates: an axis per parameter and one for the metric, each with its values
    written along it, a line per trial through every axis, ordered on each as its values are;
  - the metric against each parameter: a chart per parameter, a dot per trial at its best value,
    ordered as the values and the parameter are;
  - the best trial's model card: the card of that trial's run, of a checkpoint that came home,
    with its parameters in the command and its best value in the metrics;
  - the table: every trial, best first, in the order and with the states `sweep status` shows.
Prints one line per check; exits 1 with the reason on the first mismatch.
"""
import json
import math
import os
import re
import sys
from html.parser import HTMLParser

URL_ATTRS = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data", "background",
             "ping", "manifest", "cite", "longdesc", "usemap"}
FORBIDDEN_TAGS = {"script", "link", "iframe", "frame", "object", "embed", "img", "base", "audio", "video",
                  "source", "track", "image", "use", "foreignobject", "form", "input"}


def fail(message):
    print("sweep_report_dom: " + message, file=sys.stderr)
    sys.exit(1)


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []  # (tag, attrs dict, svg class or None)
        self.texts = []  # (svg class or None, enclosing element's attrs, text)
        self.style = ""
        self.csp = None
        self.problems = []
        self._svg = None
        self._stack = []
        self._in_style = False
        self._pre = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        for name, value in a.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>: an event handler")
            if name in URL_ATTRS and not (value.startswith("#") or value.startswith("data:")):
                self.problems.append(f"<{tag} {name}={value!r}>: a URL")
            if name == "style" and re.search(r"url\(\s*['\"]?(?!data:)", value):
                self.problems.append(f"<{tag} style={value!r}>: a URL in a style")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>: an element that runs or loads something")
        if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = a.get("content", "")
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "svg":
            self._svg = a.get("class", "")
        if tag == "style":
            self._in_style = True
        self.elements.append((tag, a, self._svg))
        self._stack.append((tag, a))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg = None
        if tag == "style":
            self._in_style = False
        while self._stack:
            top, _ = self._stack.pop()
            if top == tag:
                break

    def handle_data(self, data):
        if self._in_style:
            self.style += data
            return
        enclosing = self._stack[-1] if self._stack else ("", {})
        self.texts.append((self._svg, enclosing[0], enclosing[1], data))


def vertices(d):
    return [(float(x), float(y)) for x, y in re.findall(r"[ML]\s*(-?[\d.]+),(-?[\d.]+)", d)]


def classes(a):
    return a.get("class", "").split()


def numeric_value(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def trial_points(runs_dir, run_id, metric):
    """The metric by step, the newest report of a step winning, as the page draws it."""
    by_step = {}
    path = os.path.join(runs_dir, run_id, "metrics.jsonl")
    if not os.path.exists(path):
        return []
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        point = json.loads(line)
        value = point.get(metric)
        if numeric_value(value) and math.isfinite(value):
            by_step[point["step"]] = float(value)
    return sorted(by_step.items())


def check_order(what, pairs, increasing_y):
    """pairs: (value, coordinate). Larger values must sit at larger coordinates (increasing_y) or
    smaller ones (SVG's y grows downwards); equal values at the same coordinate."""
    pairs = sorted(pairs)
    for (v1, c1), (v2, c2) in zip(pairs, pairs[1:]):
        if v1 == v2 and abs(c1 - c2) > 0.011:
            fail(f"{what}: the same value {v1} drawn at {c1} and {c2}")
        if v1 < v2 and (c2 < c1 - 0.011 if increasing_y else c2 > c1 + 0.011):
            fail(f"{what}: {v1} drawn at {c1} but {v2} at {c2}: not in the values' order")


def grey(colour):
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return max(r, g, b) - min(r, g, b) <= 24


def main():
    dom_file, status_file, runs_dir = sys.argv[1:4]
    options = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    page = Page()
    page.feed(open(dom_file, encoding="utf-8").read())
    status = json.load(open(status_file, encoding="utf-8"))
    metric = status["metric"]
    trials = status["trials"]
    by_id = {t["id"]: t for t in trials}
    best = trials[0] if trials and trials[0]["best"] is not None else None
    best_id = best["id"] if best else None

    # Self-contained.
    if page.problems:
        fail("the page is not self-contained: " + "; ".join(page.problems[:5]))
    if re.search(r"url\(\s*['\"]?(?!data:)|@import", page.style):
        fail("the stylesheet loads something")
    if not page.csp or "default-src 'none'" not in page.csp:
        fail(f"no Content-Security-Policy forbidding loads: {page.csp!r}")
    if "--console" in options:
        console = [line for line in open(options["--console"], encoding="utf-8", errors="replace")
                   if ":CONSOLE" in line]
        if console:
            fail("Chromium logged console messages (JS errors or blocked loads): " + "".join(console[:3]))
    if "--netlog" in options:
        log = json.load(open(options["--netlog"], encoding="utf-8"))
        kinds = {v: k for k, v in log["constants"]["logEventTypes"].items()}
        fetched = [e["params"]["url"] for e in log["events"]
                   if kinds.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in e.get("params", {})
                   # Chromium's own background requests have no page behind them.
                   and e["params"].get("initiator") != "not an origin"]
        if fetched:
            fail(f"the page fetched {fetched[:3]}")
    print("self-contained: no script, no handler, no URL, CSP set"
          + (", no console message" if "--console" in options else "")
          + (", no request" if "--netlog" in options else ""))

    # The metric over steps.
    charts = [a for tag, a, _ in page.elements if tag == "svg" and "trials-chart" in classes(a)]
    if len(charts) != 1 or charts[0].get("data-metric") != metric:
        fail(f"expected one chart of {metric} over steps, found {charts}")
    paths = [a for tag, a, svg in page.elements if svg == "trials-chart" and tag == "path"]
    marks = [a for tag, a, svg in page.elements if svg == "trials-chart" and tag == "circle"
             and "stop-mark" in classes(a)]
    drawn = {int(a["data-trial"]): a for a in paths}
    value_y, step_x = [], []
    stopped_drawn = 0
    for trial in trials:
        want = trial_points(runs_dir, trial["run_id"], metric)
        path = drawn.get(trial["id"])
        if not want:
            if path is not None:
                fail(f"trial {trial['id']} reported no {metric} but has a line")
            continue
        if path is None:
            fail(f"trial {trial['id']} reported {len(want)} values of {metric} but has no line")
        points = vertices(path["d"])
        if int(path["data-total-points"]) != len(want) or int(path["data-points"]) != len(points):
            fail(f"trial {trial['id']}: {path['data-points']}/{path['data-total-points']} points drawn "
                 f"({len(points)} in the path), metrics.jsonl has {len(want)}")
        if int(path["data-last-step"]) != want[-1][0] or float(path["data-last-value"]) != want[-1][1]:
            fail(f"trial {trial['id']}: ends at step {path['data-last-step']} = {path['data-last-value']}, "
                 f"metrics.jsonl at step {want[-1][0]} = {want[-1][1]}")
        if any(b[0] <= a[0] for a, b in zip(points, points[1:])):
            fail(f"trial {trial['id']}: the line runs backwards: {points}")
        if len(points) == len(want):
            value_y += [(value, y) for (_, value), (_, y) in zip(want, points)]
            step_x += [(step, x) for (step, _), (x, _) in zip(want, points)]
        expected = "best" if trial["id"] == best_id else {"stopped": "stopped", "failed": "failed"}.get(
            trial["state"], "ran")
        if expected not in classes(path):
            fail(f"trial {trial['id']} ({trial['state']}) is drawn as {classes(path)}, expected {expected}")
        if trial["state"] == "stopped":
            stopped_drawn += 1
            end = points[-1]
            if not any(abs(float(m["cx"]) - end[0]) < 0.011 and abs(float(m["cy"]) - end[1]) < 0.011 for m in marks):
                fail(f"stopped trial {trial['id']} has no mark where it stopped ({end})")
    if len(paths) != len(drawn) or len(marks) != stopped_drawn:
        fail(f"{len(paths)} lines for {len(drawn)} trials, {len(marks)} stop marks for {stopped_drawn} stopped trials")
    if best_id is not None and int(paths[-1]["data-trial"]) != best_id:
        fail(f"the best trial {best_id} is not drawn last (on top)")
    check_order(f"{metric} over steps (values)", value_y, increasing_y=False)
    check_order(f"{metric} over steps (steps)", step_x, increasing_y=True)
    colours = dict(re.findall(r"svg \.trial(\.\w+)?\s*\{[^}]*?[{ ;]stroke:\s*(#[0-9a-fA-F]{6})", page.style))
    if not grey(colours.get(".stopped", "#0000ff")) or grey(colours.get("", "#808080")):
        fail(f"stopped trials are not drawn grey among coloured ones: {colours}")
    print(f"{metric} over steps: {len(paths)} trial lines, every point from metrics.jsonl, "
          f"{stopped_drawn} stopped ones grey with a mark where they stopped, the best ({best_id}) on top")

    # Parallel coordinates.
    names = sorted({name for t in trials for name in t["params"]})
    numeric = {name: all(numeric_value(t["params"][name]) for t in trials if name in t["params"]) for name in names}
    charts = [a for tag, a, _ in page.elements if tag == "svg" and "parallel-chart" in classes(a)]
    if len(charts) != 1 or int(charts[0]["data-axes"]) != len(names) + 1:
        fail(f"expected one parallel-coordinates chart with {len(names) + 1} axes: {charts}")
    axis_x = [float(a["x1"]) for tag, a, svg in page.elements if svg == "parallel-chart" and tag == "line"
              and "axis" in classes(a)]
    labels = [text for svg, tag, a, text in page.texts if svg == "parallel-chart" and "axis-label" in classes(a)]
    if labels != names + [metric]:
        fail(f"parallel axes {labels}, expected {names + [metric]}")
    ticks = {}
    for svg, tag, a, text in page.texts:
        if svg == "parallel-chart" and "pc-tick" in classes(a):
            column = min(range(len(axis_x)), key=lambda i: abs(axis_x[i] - float(a["x"])))
            ticks.setdefault(column, []).append(text)
    ranked = [t for t in trials if t["best"] is not None and math.isfinite(t["best"])]
    for column, name in enumerate(names + [metric]):
        values = [t["best"] for t in ranked] if name == metric else [t["params"][name] for t in trials]
        if name == metric or numeric[name]:
            want = sorted({format(min(values), ".6g"), format(max(values), ".6g")})
        else:
            want = sorted({str(v) for v in values})
        if sorted(ticks.get(column, [])) != want:
            fail(f"the {name} axis shows {ticks.get(column)}, expected {want}")
    lines = [a for tag, a, svg in page.elements if svg == "parallel-chart" and tag == "path"]
    if sorted(int(a["data-trial"]) for a in lines) != sorted(t["id"] for t in ranked):
        fail(f"parallel lines for trials {[a['data-trial'] for a in lines]}, expected {[t['id'] for t in ranked]}")
    per_axis = [[] for _ in range(len(names) + 1)]
    for a in lines:
        trial = by_id[int(a["data-trial"])]
        if float(a["data-value"]) != trial["best"]:
            fail(f"trial {trial['id']}'s parallel line says {a['data-value']}, its best is {trial['best']}")
        points = vertices(a["d"])
        if len(points) != len(axis_x) or any(abs(p[0] - x) > 0.011 for p, x in zip(points, axis_x)):
            fail(f"trial {trial['id']}'s parallel line {points} does not cross every axis at {axis_x}")
        for column, name in enumerate(names):
            value = trial["params"][name]
            per_axis[column].append((value if numeric[name] else str(value), points[column][1]))
        per_axis[-1].append((trial["best"], points[-1][1]))
    for column, name in enumerate(names):
        if numeric[name]:
            check_order(f"parallel axis {name}", per_axis[column], increasing_y=False)
        else:
            for (v1, y1) in per_axis[column]:
                for (v2, y2) in per_axis[column]:
                    if (v1 == v2) != (abs(y1 - y2) < 0.011):
                        fail(f"parallel axis {name}: {v1} at {y1}, {v2} at {y2}")
    check_order(f"parallel axis {metric}", per_axis[-1], increasing_y=False)
    if best_id is not None and (int(lines[-1]["data-trial"]) != best_id or "best" not in classes(lines[-1])):
        fail(f"the best trial's parallel line is not the highlighted one on top")
    print(f"parallel coordinates: {len(names) + 1} axes with their values, {len(lines)} lines in each axis' order")

    # The metric against each parameter.
    charts = [a.get("data-param") for tag, a, _ in page.elements if tag == "svg" and "param-chart" in classes(a)]
    if sorted(charts) != names:
        fail(f"charts against parameters {charts}, expected {names}")
    for name in names:
        svg_class = f"param-chart:{name}"
        dots, in_chart = [], False
        for tag, a, svg in page.elements:
            if tag == "svg":
                in_chart = "param-chart" in classes(a) and a.get("data-param") == name
            elif in_chart and svg and tag == "circle" and "dot" in classes(a):
                dots.append(a)
        if sorted(int(a["data-trial"]) for a in dots) != sorted(t["id"] for t in ranked):
            fail(f"{svg_class}: dots for trials {[a['data-trial'] for a in dots]}, expected {[t['id'] for t in ranked]}")
        xs, ys = [], []
        for a in dots:
            trial = by_id[int(a["data-trial"])]
            if float(a["data-value"]) != trial["best"]:
                fail(f"{svg_class}: trial {trial['id']} at {a['data-value']}, its best is {trial['best']}")
            if ("best" in classes(a)) != (trial["id"] == best_id):
                fail(f"{svg_class}: trial {trial['id']} is drawn as {classes(a)}")
            value = trial["params"][name]
            xs.append((value if numeric[name] else str(value), float(a["cx"])))
            ys.append((trial["best"], float(a["cy"])))
        if numeric[name]:
            check_order(f"{svg_class} (x)", xs, increasing_y=True)
        check_order(f"{svg_class} ({metric})", ys, increasing_y=False)
    print(f"{metric} against each parameter: {len(names)} charts, a dot per trial at its best value")

    # The best trial's model card.
    cards = [a for tag, a, _ in page.elements if tag == "section" and "card" in classes(a)]
    if best is None:
        if cards:
            fail("a card without a best trial")
    else:
        if len(cards) != 1 or int(cards[0]["data-trial"]) != best_id:
            fail(f"expected the card of trial {best_id}: {cards}")
        checkpoint = cards[0]["data-checkpoint"]
        if not os.path.exists(os.path.join(runs_dir, best["run_id"], "checkpoints", checkpoint)):
            fail(f"the card's checkpoint {checkpoint} is not in trial {best_id}'s checkpoints")
        pres = [text for svg, tag, a, text in page.texts if tag == "pre"]
        card = next((json.loads(text) for text in pres if text.lstrip().startswith("{")), None)
        if card is None:
            fail("the card's JSON is not on the page")
        if card["run"]["id"] != best["run_id"] or card["checkpoint"]["name"] != checkpoint:
            fail(f"the card is of {card['run']['id']}/{card['checkpoint']['name']}, not {best['run_id']}/{checkpoint}")
        if card["metrics"]["values"].get(metric) != best["best"]:
            fail(f"the card's {metric} is {card['metrics']['values'].get(metric)}, the trial's best {best['best']}")
        for name in names:
            if not any(arg.startswith(f"--{name}=") for arg in card["arguments"]):
                fail(f"the card's arguments {card['arguments']} do not give {name}")
        print(f"best trial's card: trial {best_id}, {checkpoint}, {metric} {best['best']}")

    # The table, best first, as `sweep status` shows it.
    rows = [int(a["data-trial"]) for tag, a, _ in page.elements if tag == "tr" and "data-trial" in a]
    if rows != [t["id"] for t in trials]:
        fail(f"the table's order {rows} is not sweep status' {[t['id'] for t in trials]}")
    cells = [text for svg, tag, a, text in page.texts if tag == "td"]
    for trial in trials:
        if trial["state_text"] not in cells:
            fail(f"the table does not say trial {trial['id']} is '{trial['state_text']}'")
    print(f"table: {len(rows)} trials, best first, with their states")


if __name__ == "__main__":
    main()
