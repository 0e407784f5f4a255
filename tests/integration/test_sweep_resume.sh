# kill -9 of `choline sweep` mid-sweep, then `choline sweep resume`: the running trials are
# re-attached (they never stopped), the rest run, no trial runs twice from its start, and
# every host is released at the end. `choline stop SWEEP` releases everything of a sweep.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sweep_lib.sh"
make_sweep_project

setsid "$CHOLINE" -C "$PROJECT" sweep sw.py --1xcpu --parallel 2 --trials 5 --seed 3 --stopper none \
  -p lr=loguniform:1e-4:1e-1 --metric acc --maximize -- --steps 12 --pause 0.3 >"$SCRATCH/sweep.out" 2>&1 </dev/null &
sweep_pid=$!
for _ in $(seq 1 300); do
  n=$(cat "$PROJECT"/.choline/runs/*/metrics.jsonl 2>/dev/null | wc -l || true)
  [ "${n:-0}" -ge 4 ] && break
  sleep 0.1
done
kill -9 "$sweep_pid"
sweep=$(latest_sweep)
[ "$(sweep_field "$sweep" 'sum(t["state"] == "running" for t in s["trials"])')" = 2 ] ||
  fail "expected 2 running trials when killed: $(cat "$SCRATCH/sweep.out")"
expect_exit 0 "$CHOLINE" -C "$PROJECT" sweep resume "$sweep"
contains "$OUT" "re-attached"
[ "$(sweep_field "$sweep" 's["state"]')" = finished ] || fail "sweep not finished after resume: $OUT"
[ "$(sweep_field "$sweep" 'len(s["trials"])')" = 5 ] || fail "not 5 trials"
[ "$(sweep_field "$sweep" 'all(t["state"] == "finished" for t in s["trials"])')" = True ] || fail "a trial did not finish: $OUT"
[ "$(sweep_field "$sweep" 'all(h["released"] for h in s["hosts"])')" = True ] || fail "hosts left unreleased"
# The resumed search draws new parameters, not the first trials' again.
[ "$(sweep_field "$sweep" 'len({json.dumps(t["params"]) for t in s["trials"]})')" = 5 ] ||
  fail "trials after the resume repeat parameters: $(sweep_field "$sweep" '[t["params"] for t in s["trials"]]')"
for t in $(seq 1 5); do
  log="$PROJECT/.choline/runs/$sweep-t$t/logs/rank-0.log"
  n=$(grep -c "^trial $t starts at step 0" "$log" || true)
  [ "$n" = 1 ] || fail "trial $t started from scratch $n times: $(cat "$log")"
  grep -q "^trial done" "$log" || fail "trial $t did not run to its end"
done

# choline stop SWEEP while a driver runs: it stops, its hosts are released, resume goes on.
setsid "$CHOLINE" -C "$PROJECT" sweep sw.py --1xcpu --parallel 2 --trials 4 --seed 4 --stopper none \
  -p lr=loguniform:1e-4:1e-1 --metric acc --maximize -- --steps 40 --pause 0.3 >"$SCRATCH/sweep2.out" 2>&1 </dev/null &
sweep_pid=$!
# Until both running trials have reported a step: each has written a checkpoint on its host
# then (the script writes it before the metrics line), which the stop must bring home.
reported() {  # reported SWEEP: how many running trials have a metrics point here
  local n=0 t
  for t in $(sweep_field "$1" '" ".join(str(t["id"]) for t in s["trials"] if t["state"] == "running")'); do
    [ -s "$PROJECT/.choline/runs/$1-t$t/metrics.jsonl" ] && n=$((n + 1))
  done
  echo "$n"
}
for _ in $(seq 1 300); do
  s2=$(latest_sweep)
  [ "$s2" != "$sweep" ] && [ "$(reported "$s2")" = 2 ] && break
  sleep 0.2
done
s2=$(latest_sweep)
expect_exit 0 "$CHOLINE" -C "$PROJECT" stop "$s2"
set +e; wait "$sweep_pid"; code=$?; set -e
[ "$code" = 130 ] || fail "the stopped sweep exited $code: $(cat "$SCRATCH/sweep2.out")"
[ "$(sweep_field "$s2" 's["state"]')" = stopped ] || fail "sweep not stopped"
[ "$(sweep_field "$s2" 'all(h["released"] for h in s["hosts"])')" = True ] || fail "hosts left unreleased by stop"
[ "$(sweep_field "$s2" 'sum(t["state"] == "queued" for t in s["trials"])')" = 2 ] || fail "stopped trials not queued for resume"
# The stopped trials' newest checkpoints came home with the stop, for the resume to go on from.
for t in $(sweep_field "$s2" '" ".join(str(t["id"]) for t in s["trials"] if t["state"] == "queued")'); do
  ls "$PROJECT/.choline/runs/$s2-t$t/checkpoints" | grep -q '^step-' || fail "trial $t's checkpoints were not pulled at the stop"
done
