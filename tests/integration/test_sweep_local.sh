# choline sweep end to end on the local provider: a 12-trial sweep of a script whose result
# depends on its parameters finds the good region, ASHA stops at least half of the trials
# early, every host of the pool is released, and status/best/logs show the trials.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sweep_lib.sh"
make_sweep_project

# A bad configuration names every wrong key at once, before anything is rented.
expect_exit 2 "$CHOLINE" -C "$PROJECT" sweep sw.py --1xcpu -p lr=loguniform:1:0.1 -p width=choice: --metric acc
contains "$ERR" "lr"
contains "$ERR" "width"
[ ! -d "$PROJECT/.choline/sweeps" ] || fail "a bad configuration created a sweep"
cat >"$PROJECT/bad.yaml" <<'YAML'
method: bayes
metric: {name: acc, goal: up}
parameters:
  lr: {min: 0.1, max: 0.01}
colour: blue
YAML
expect_exit 2 "$CHOLINE" -C "$PROJECT" sweep sw.py --1xcpu --config "$PROJECT/bad.yaml"
contains "$ERR" "metric.goal"
contains "$ERR" "parameters.lr"
contains "$ERR" "colour"
[ ! -d "$PROJECT/.choline/runs" ] || fail "a bad sweep file started a run"

# --dry-run: the plan and the first trials' commands, nothing rented.
expect_exit 0 "$CHOLINE" -C "$PROJECT" sweep sw.py --1xcpu --parallel 2 --trials 12 --seed 5 \
  -p lr=loguniform:1e-5:1e-1 -p width=choice:64,128 --metric acc --maximize --dry-run
contains "$OUT" '"stopper": "asha"'
contains "$OUT" '"--lr='
[ ! -d "$PROJECT/.choline/sweeps" ] || fail "--dry-run created a sweep"

start=$(date +%s)
expect_exit 0 "$CHOLINE" -C "$PROJECT" sweep sw.py --1xcpu --parallel 2 --trials 12 --seed 5 \
  -p lr=loguniform:1e-5:1e-1 -p width=choice:64,128 --metric acc --maximize
echo "sweep took $(( $(date +%s) - start )) s" >&2
contains "$OUT" "choline: best trial"
sweep=$(latest_sweep)
[ "$(sweep_field "$sweep" 's["state"]')" = finished ] || fail "sweep not finished: $OUT"
[ "$(sweep_field "$sweep" 'len(s["trials"])')" = 12 ] || fail "not 12 trials"
# Exactly --parallel hosts rented, all released.
[ "$(sweep_field "$sweep" 'len(s["hosts"])')" = 2 ] || fail "the pool did not rent exactly 2 hosts: $(sweep_field "$sweep" 's["hosts"]')"
[ "$(sweep_field "$sweep" 'all(h["released"] for h in s["hosts"])')" = True ] || fail "hosts left unreleased"
for pid_file in "$CHOLINE_HOME"/hosts/*/state.json; do
  pid=$(/usr/bin/python3 -c "import json; print(json.load(open('$pid_file')).get('pid', 0))")
  [ "$pid" = 0 ] && continue
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$pid" 2>/dev/null || fail "a supervisor still runs after the sweep ($pid_file)"
done
# ASHA stopped at least half early; nothing failed.
stopped=$(sweep_field "$sweep" 'sum(t["state"] == "stopped" and t["rung"] >= 0 for t in s["trials"])')
echo "stopped early: $stopped of 12" >&2
[ "$stopped" -ge 6 ] || fail "ASHA stopped only $stopped of 12 trials early: $OUT"
[ "$(sweep_field "$sweep" 'sum(t["state"] == "failed" for t in s["trials"])')" = 0 ] || fail "trials failed: $OUT"
# The good region: the best trial's lr within a decade of 1e-2, and it ran to its end.
best_lr=$(sweep_field "$sweep" 's["trials"][0]["params"]["lr"]')
/usr/bin/python3 -c "import sys; sys.exit(0 if 1e-3 <= $best_lr <= 1e-1 else 1)" || fail "best lr $best_lr is outside the good region"
[ "$(sweep_field "$sweep" 's["trials"][0]["state"]')" = finished ] || fail "the best trial did not finish"

# The table, best first; the best trial as a train command; a trial's logs as a run's.
expect_exit 0 "$CHOLINE" -C "$PROJECT" sweep status "$sweep"
contains "$OUT" "stopped early at rung"
contains "$OUT" "finished"
expect_exit 0 "$CHOLINE" -C "$PROJECT" sweep best "$sweep"
contains "$OUT" "choline train sw.py --1xcpu --lr="
best_id=$(sweep_field "$sweep" 's["trials"][0]["id"]')
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$sweep/$best_id"
contains "$OUT" "trial $best_id starts at step 0"
contains "$OUT" "trial done"
# Trials reuse hosts: no trial's log holds another trial's lines, and no trial found another's
# checkpoints.
for t in $(seq 1 12); do
  log="$PROJECT/.choline/runs/$sweep-t$t/logs/rank-0.log"
  [ -s "$log" ] || fail "no log for trial $t"
  others=$(grep -c "^trial [0-9]* starts" "$log")
  [ "$others" = 1 ] || fail "trial $t's log holds $others trial starts: $(cat "$log")"
  grep -q "^trial $t starts at step 0" "$log" || fail "trial $t did not start from scratch on a reused host: $(cat "$log")"
done

# The best trial's model cards record its parameters (its arguments after the entry).
card=$(ls "$PROJECT/.choline/runs/$sweep-t$best_id/checkpoints/"*.card.json | tail -n 1)
[ -n "$card" ] || fail "no model card for the best trial"
/usr/bin/python3 - "$card" "$best_lr" <<'PY' || fail "the model card does not record the trial's parameters: $(cat "$card")"
import json, sys
card = json.load(open(sys.argv[1]))
assert any(a.startswith("--lr=") and abs(float(a[5:]) - float(sys.argv[2])) < 1e-12 for a in card["arguments"]), card["arguments"]
PY

# choline report SWEEP: one page with a line per trial, the stopped ones marked.
expect_exit 0 "$CHOLINE" -C "$PROJECT" report "$sweep"
page="$PROJECT/.choline/sweeps/$sweep/report.html"
[ "$OUT" = "$page" ] || fail "report printed $OUT, expected $page"
[ "$(grep -o '<path class="trial ' "$page" | wc -l)" = 12 ] || fail "the sweep report does not draw 12 trials"
[ "$(grep -o '<path class="trial stopped' "$page" | wc -l)" = "$stopped" ] || fail "the report's stopped trials differ from status"
grep -q 'data-param="lr"' "$page" || fail "no chart of the metric against lr"
