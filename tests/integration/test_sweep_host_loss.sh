# kill -9 of one slot's processes mid-sweep: that trial's host is declared lost, the pool rents
# a replacement, the trial resumes there from its own checkpoint, the other trials never notice,
# and the sweep finishes with every host released. (~40 s)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sweep_lib.sh"
make_sweep_project

# Trials of about 11 s: trial 1's first checkpoints come home (pulls every 10 s) before the kill.
"$CHOLINE" -C "$PROJECT" sweep sw.py --1xcpu --parallel 2 --trials 3 --seed 6 --stopper none --host-timeout 5 \
  -p lr=loguniform:1e-4:1e-1 --metric acc --maximize -- --steps 44 --pause 0.25 >"$SCRATCH/sweep.out" 2>&1 </dev/null &
sweep_pid=$!
for _ in $(seq 1 300); do sweep=$(latest_sweep 2>/dev/null || true); [ -n "$sweep" ] && break; sleep 0.1; done
[ -n "$sweep" ] || fail "the sweep did not start: $(cat "$SCRATCH/sweep.out")"
run1="$PROJECT/.choline/runs/$sweep-t1"
for _ in $(seq 1 300); do
  ls "$run1/checkpoints" 2>/dev/null | grep -q '^step-' && break
  sleep 0.1
done
ls "$run1/checkpoints" | grep -q '^step-' || fail "no checkpoint of trial 1 came home: $(cat "$SCRATCH/sweep.out")"
pid=$("$CHOLINE" -C "$PROJECT" status --json "$sweep-t1" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); print([h["agent_pid"] for h in r["hosts"] if h["state"] != "released"][0])')
[ "$pid" -gt 0 ] || fail "no supervisor pid for trial 1"
kill -9 -- "-$pid"
set +e; wait "$sweep_pid"; code=$?; set -e
[ "$code" = 0 ] || fail "the sweep exited $code after losing a host: $(cat "$SCRATCH/sweep.out")"
[ "$(sweep_field "$sweep" 'all(t["state"] == "finished" for t in s["trials"])')" = True ] || fail "a trial did not finish: $(cat "$SCRATCH/sweep.out")"
[ "$(run_field "$sweep-t1" 'len(r["host_losses"])')" = 1 ] || fail "trial 1's host loss was not recorded"
log="$run1/logs/rank-0.log"
[ "$(grep -c '^trial 1 starts at step 0' "$log")" = 1 ] || fail "trial 1 started from scratch again: $(cat "$log")"
grep -q '^trial 1 starts at step [1-9]' "$log" || fail "trial 1 did not resume from a checkpoint: $(cat "$log")"
# The replacement is one more host of the pool; nothing is left running.
[ "$(sweep_field "$sweep" 'len(s["hosts"])')" = 3 ] || fail "expected 2 hosts and one replacement: $(sweep_field "$sweep" 's["hosts"]')"
[ "$(sweep_field "$sweep" 'all(h["released"] for h in s["hosts"])')" = True ] || fail "hosts left unreleased"
for other in 2 3; do
  [ "$(run_field "$sweep-t$other" 'len(r["host_losses"])')" = 0 ] || fail "trial $other noticed the loss"
done
