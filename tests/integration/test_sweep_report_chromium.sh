# choline report SWEEP rendered by a real browser: a small sweep on the local provider (8 trials,
# 2 at once, ASHA stopping some), its page loaded in headless Chromium, a screenshot and the DOM
# Chromium built left in the test's output folder, and the DOM checked against the sweep
# (sweep_report_dom.py): every trial's metric over steps with the stopped ones grey where they
# stopped, parallel coordinates, the metric against each parameter, the best trial's model card,
# the table best first; and the page self-contained: no script, no URL, no console message, no
# request in Chromium's network log.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sweep_lib.sh"
use_chromium test_sweep_report_chromium
make_sweep_project
# A categorical parameter of strings besides the numeric ones, so the charts draw both kinds of
# axis; the script only accepts it.
sed -i 's/^a = p.parse_args()$/p.add_argument("--act", default="relu")\na = p.parse_args()/' "$PROJECT/sw.py"
grep -q -- '"--act"' "$PROJECT/sw.py" || fail "could not add --act to the sweep's script"

browser() {  # browser ARGS... : headless, no sandbox (tests may run as root), its own profile
  timeout 90 "$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$SCRATCH/chromium" "$@" 2>>"$SCRATCH/chromium.log"
}

expect_exit 0 "$CHOLINE" -C "$PROJECT" sweep sw.py --1xcpu --parallel 2 --trials 8 --seed 5 \
  -p lr=loguniform:1e-4:1 -p width=choice:64,128 -p act=choice:relu,tanh --metric acc --maximize
sweep=$(latest_sweep)
"$CHOLINE" -C "$PROJECT" sweep status --json "$sweep" >"$OUTPUT_DIR/status.json"
# What the page must show is there: trials stopped early and trials that ran to their end.
[ "$(sweep_field "$sweep" 'sum(t["state"] == "stopped" for t in s["trials"])')" -ge 1 ] ||
  fail "ASHA stopped no trial: $OUT"
[ "$(sweep_field "$sweep" 'sum(t["state"] == "finished" for t in s["trials"])')" -ge 1 ] ||
  fail "no trial finished: $OUT"

html="$OUTPUT_DIR/report-sweep.html"
expect_exit 0 "$CHOLINE" -C "$PROJECT" report "$sweep" -o "$html"
browser --screenshot="$OUTPUT_DIR/report-sweep.png" --window-size=1100,2450 "file://$html" >/dev/null ||
  fail "chromium could not screenshot $html: $(tail -5 "$SCRATCH/chromium.log")"
[ -s "$OUTPUT_DIR/report-sweep.png" ] || fail "no screenshot of the sweep report"
# The DOM, with the console (JS errors, loads the Content-Security-Policy blocked) on stderr and
# every network request in a log.
timeout 90 "$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$SCRATCH/chromium" \
  --enable-logging=stderr --v=0 --log-net-log="$OUTPUT_DIR/netlog.json" --dump-dom "file://$html" \
  >"$OUTPUT_DIR/report-sweep.dom.html" 2>"$OUTPUT_DIR/console.log" ||
  fail "chromium could not load $html: $(tail -5 "$OUTPUT_DIR/console.log")"
/usr/bin/python3 "$SOURCE_DIR/tests/integration/sweep_report_dom.py" "$OUTPUT_DIR/report-sweep.dom.html" \
  "$OUTPUT_DIR/status.json" "$PROJECT/.choline/runs" --console "$OUTPUT_DIR/console.log" \
  --netlog "$OUTPUT_DIR/netlog.json" || fail "the sweep report does not show the sweep"
echo "sweep report screenshot in $OUTPUT_DIR"
echo "sweep report in chromium: ok"
