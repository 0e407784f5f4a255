#!/usr/bin/env python3
"""Checks a report's DOM (as `chromium --dump-dom` printed it) against the run's metrics.jsonl.

Usage: report_dom.py DOM_FILE METRICS_JSONL [--expect-marks restart=N,host-lost=N] [--expect-attempts 1,2,3]
Every chart's points (circle.pt data-step/data-value/data-attempt) must be exactly the metric's
numeric values in metrics.jsonl: same count, same first and last value, same steps and attempts.
The page must hold no <script> element. Prints one line per chart; exits 1 with the reason on a
mismatch.
"""
import json
import math
import sys
from html.parser import HTMLParser


class Report(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts = []  # dicts: metric, attrs, points, marks
        self.scripts = 0
        self.bands = []
        self._chart = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "svg" and "chart" in a.get("class", "").split():
            self._chart = {"metric": a.get("data-metric"), "attrs": a, "points": [], "marks": [], "bands": []}
            self.charts.append(self._chart)
        if self._chart is None:
            return
        classes = a.get("class", "").split()
        if tag == "circle" and "pt" in classes:
            self._chart["points"].append((int(a["data-step"]), float(a["data-value"]), int(a["data-attempt"])))
        if tag == "g" and "mark" in classes:
            self._chart["marks"].append(classes[1])
        if tag == "rect" and "band" in classes:
            self._chart["bands"].append(int(a["data-attempt"]))

    def handle_endtag(self, tag):
        if tag == "svg":
            self._chart = None


def fail(message):
    print("report_dom: " + message, file=sys.stderr)
    sys.exit(1)


def main():
    dom_file, metrics_file = sys.argv[1], sys.argv[2]
    options = dict(zip(sys.argv[3::2], sys.argv[4::2]))
    report = Report()
    report.feed(open(dom_file, encoding="utf-8").read())
    if report.scripts:
        fail(f"the page holds {report.scripts} <script> element(s)")
    points = [json.loads(line) for line in open(metrics_file) if line.strip()]
    names = sorted({k for p in points for k, v in p.items()
                    if k not in ("step", "attempt") and isinstance(v, (int, float)) and not isinstance(v, bool)})
    charted = [c["metric"] for c in report.charts]
    if sorted(charted) != names:
        fail(f"charts {charted} are not the metrics {names}")
    for chart in report.charts:
        name = chart["metric"]
        want = [(p["step"], float(p[name]), p["attempt"]) for p in points
                if isinstance(p.get(name), (int, float)) and not isinstance(p.get(name), bool)]
        got = chart["points"]
        if len(got) != len(want):
            fail(f"{name}: {len(got)} points drawn, metrics.jsonl has {len(want)}")
        if int(chart["attrs"]["data-total-points"]) != len(want):
            fail(f"{name}: data-total-points is {chart['attrs']['data-total-points']}, expected {len(want)}")
        if got[0][1] != want[0][1] or got[-1][1] != want[-1][1]:
            fail(f"{name}: first/last {got[0][1]}/{got[-1][1]}, metrics.jsonl {want[0][1]}/{want[-1][1]}")
        if float(chart["attrs"]["data-first-value"]) != want[0][1] or float(chart["attrs"]["data-last-value"]) != want[-1][1]:
            fail(f"{name}: the chart's first/last attributes differ from metrics.jsonl")
        for g, w in zip(got, want):
            if g[0] != w[0] or g[2] != w[2] or not math.isclose(g[1], w[1], rel_tol=0, abs_tol=0):
                fail(f"{name}: point {g} is not {w}")
        if "--expect-marks" in options:
            for item in options["--expect-marks"].split(","):
                kind, count = item.split("=")
                if chart["marks"].count(kind) != int(count):
                    fail(f"{name}: {chart['marks'].count(kind)} '{kind}' marks, expected {count} ({chart['marks']})")
        if "--expect-attempts" in options:
            attempts = [int(x) for x in options["--expect-attempts"].split(",")]
            if chart["bands"] != attempts:
                fail(f"{name}: attempt bands {chart['bands']}, expected {attempts}")
        print(f"{name}: {len(got)} points, first {got[0][1]} last {got[-1][1]}, marks {chart['marks']}")


if __name__ == "__main__":
    main()
