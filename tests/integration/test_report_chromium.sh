# choline report rendered by a real browser: headless Chromium loads the self-contained HTML of
# (a) a finished run and (b) a run with a job restart and a lost host, screenshots go to the
# test's output folder, and the DOM Chromium built shows that every chart's points are the run's
# real metrics (count, first and last values, steps and attempts) and that no script got in, not
# even from metric names a host chose (c).
source "$(dirname "$0")/lib.sh"
use_chromium test_report_chromium
make_project
# The cards of the finished run carry what a project would say about itself.
cat >"$PROJECT/choline.json" <<'JSON'
{
  "data": ["/usr/share/datasets/fashion-mnist"],
  "purpose": "Fashion-MNIST classifier (choline's report test)",
  "preprocessing": "pixels scaled to [0, 1], normalized with mean 0.2860 and std 0.3530"
}
JSON
if command -v git >/dev/null; then
  printf '.choline/\n' >"$PROJECT/.gitignore"
  git -C "$PROJECT" init -q && git -C "$PROJECT" add -A
  git -C "$PROJECT" -c user.email=t@example.com -c user.name=t commit -q -m "the project"
fi

browser() {  # browser ARGS... : headless, no sandbox (tests may run as root), its own profile
  timeout 90 "$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$SCRATCH/chromium" "$@" 2>>"$SCRATCH/chromium.log"
}

# render RUN NAME [report_dom.py options]: report, screenshot, DOM checked against metrics.jsonl.
render() {
  local run="$1" name="$2"; shift 2
  local html="$OUTPUT_DIR/$name.html"
  expect_exit 0 "$CHOLINE" -C "$PROJECT" report "$run" -o "$html"
  browser --screenshot="$OUTPUT_DIR/$name.png" --window-size=1100,"${HEIGHT:-2400}" "file://$html" >/dev/null ||
    fail "chromium could not screenshot $html: $(tail -5 "$SCRATCH/chromium.log")"
  [ -s "$OUTPUT_DIR/$name.png" ] || fail "no screenshot of $name"
  browser --dump-dom "file://$html" >"$OUTPUT_DIR/$name.dom.html" || fail "chromium could not load $html"
  /usr/bin/python3 "$SOURCE_DIR/tests/integration/report_dom.py" "$OUTPUT_DIR/$name.dom.html" \
    "$PROJECT/.choline/runs/$run/metrics.jsonl" "$@" || fail "the $name report's charts are not its metrics"
}

# (a) A finished run.
expect_exit 0 "$CHOLINE" -C "$PROJECT" train tr.py --2xcpu --epochs 2 --limit 3000 --test-limit 500 --batch-size 16
finished=$(latest_run)
HEIGHT=2300 render "$finished" report-finished --expect-attempts 1 --expect-marks restart=0,host-lost=0

# (b) Two restarts: the last rank fails at the start of epoch 1 (a job restart on the same
# hosts), then node 1 is killed during epoch 2 (a lost host, replaced).
"$CHOLINE" -C "$PROJECT" train tr.py --1xcpu --nodes 2 --epochs 3 --limit 4000 --test-limit 500 --batch-size 16 \
  --crash-once-at-epoch 1 >"$SCRATCH/run.out" 2>&1 </dev/null &
train_pid=$!
run="$finished"
for _ in $(seq 1 100); do run=$(latest_run); [ "$run" != "$finished" ] && break; sleep 0.1; done
[ "$run" != "$finished" ] || fail "the run did not start: $(cat "$SCRATCH/run.out")"
log="$PROJECT/.choline/runs/$run/logs/rank-1.log"
for _ in $(seq 1 1200); do
  [ -f "$log" ] && sed -n '/=== choline: attempt 2 ===/,$p' "$log" | grep -q "epoch 2 step" && break
  sleep 0.1
done
sed -n '/=== choline: attempt 2 ===/,$p' "$log" | grep -q "epoch 2 step" || fail "attempt 2 never reached epoch 2: $(cat "$SCRATCH/run.out")"
kill -9 -- "-$(run_field "$run" 'r["hosts"][1]["agent_pid"]')"
set +e; wait "$train_pid"; code=$?; set -e
[ "$code" = 0 ] || fail "the run exited $code: $(cat "$SCRATCH/run.out")"
[ "$(run_field "$run" 'r["restarts"]')" = 1 ] || fail "expected one job restart"
[ "$(run_field "$run" 'len(r["host_losses"])')" = 1 ] || fail "expected one host loss"
HEIGHT=2800 render "$run" report-two-restarts --expect-attempts 1,2,3 --expect-marks restart=1,host-lost=1
contains "$(cat "$OUTPUT_DIR/report-two-restarts.dom.html")" "began after a <b>host lost</b>"

# (c) Metric names and values are a host's to choose: they are text, never markup.
expect_exit 0 "$CHOLINE" -C "$PROJECT" train --1xcpu -- sh -c \
  'echo "choline-metrics: {\"step\": 1, \"<script>alert(1)</script>\": 2, \"x\": \"<img src=x onerror=alert(2)>\"}"'
hostile=$(latest_run)
render "$hostile" report-hostile
contains "$(cat "$OUTPUT_DIR/report-hostile.dom.html")" "&lt;script&gt;alert(1)&lt;/script&gt;"
case "$(cat "$OUTPUT_DIR/report-hostile.dom.html")" in *"<img src=x"*) fail "a metric value became markup" ;; esac
echo "report screenshots in $OUTPUT_DIR"
echo "report in chromium: ok"
