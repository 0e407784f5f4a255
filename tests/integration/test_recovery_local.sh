# Host loss on the local provider: a node's whole process group killed (kill -9) or frozen
# (kill -STOP) mid-epoch is declared lost, replaced by a new host, and the run finishes as one
# continuous run; the laptop dying too is survived by choline resume; a job failure is not a
# host loss.
source "$(dirname "$0")/lib.sh"
make_project
# Epochs of about 9 s: the first checkpoint comes home (pulls every 10 s) while epoch 1 runs.
args=(--1xcpu --nodes 2 --epochs 3 --limit 6000 --test-limit 1000)

# The reference: the same run, uninterrupted.
expect_exit 0 "$CHOLINE" -C "$PROJECT" train tr.py "${args[@]}"
reference=$(latest_run)
final_accuracy() {  # the last test accuracy in a run's merged metrics
  /usr/bin/python3 -c "
import json, sys
points = [json.loads(l) for l in open(sys.argv[1])]
print([p['test_accuracy'] for p in points if 'test_accuracy' in p][-1])" "$PROJECT/.choline/runs/$1/metrics.jsonl"
}
reference_accuracy=$(final_accuracy "$reference")

# start_run_and_wait: starts a run in the background once the first checkpoint is home and the
# second epoch is under way; sets RUN, TRAIN_PID and NODE1_PID (node 1's supervisor = its group).
start_run_and_wait() {
  "$CHOLINE" -C "$PROJECT" train tr.py "${args[@]}" >"$SCRATCH/run.out" 2>&1 </dev/null &
  TRAIN_PID=$!
  local previous="${RUN:-$reference}"
  RUN="$previous"
  for _ in $(seq 1 100); do RUN=$(latest_run); [ "$RUN" != "$previous" ] && break; sleep 0.1; done
  [ "$RUN" != "$previous" ] || fail "the run did not start: $(cat "$SCRATCH/run.out")"
  for _ in $(seq 1 600); do [ -f "$PROJECT/.choline/runs/$RUN/checkpoints/epoch-0000.pt" ] && break; sleep 0.1; done
  [ -f "$PROJECT/.choline/runs/$RUN/checkpoints/epoch-0000.pt" ] || fail "no checkpoint came home: $(cat "$SCRATCH/run.out")"
  for _ in $(seq 1 100); do grep -q "epoch 1 step" "$PROJECT/.choline/runs/$RUN/logs/rank-1.log" && break; sleep 0.1; done
  NODE1_PID=$(run_field "$RUN" 'r["hosts"][1]["agent_pid"]')
}

# The newest checkpoint on node 0 now, just before a kill.
note_newest_checkpoint() {
  NEWEST_AT_KILL=$(ls "$CHOLINE_HOME/hosts/$RUN-node0/project/checkpoints" | grep -v '\.tmp$' | sort | tail -1)
}

# check_recovered RUN: one host loss with its reason, no job restart, accuracy as uninterrupted,
# at most one checkpoint interval (an epoch) recomputed, merged metrics strictly increasing.
check_recovered() {
  local run="$1" dir="$PROJECT/.choline/runs/$1"
  [ "$(run_field "$run" 'r["state"]')" = succeeded ] || fail "$run did not succeed: $(cat "$SCRATCH/run.out")"
  [ "$(run_field "$run" 'len(r["host_losses"])')" = 1 ] || fail "expected one host loss"
  [ "$(run_field "$run" 'r["host_losses"][0]["node"]')" = 1 ] || fail "the lost host was not node 1"
  [ -n "$(run_field "$run" 'r["host_losses"][0]["reason"]')" ] || fail "the loss has no reason"
  [ "$(run_field "$run" 'r["restarts"]')" = 0 ] || fail "a host loss was counted as a restart"
  [ "$(run_field "$run" 'len(r["hosts"])')" = 3 ] || fail "expected a replacement host"
  # At most one checkpoint interval recomputed: attempt 2 starts from the newest checkpoint node 0
  # had written when node 1 died (or a newer one).
  local resumed
  resumed=$(run_field "$run" 'r["attempts"][1]["resume_from"]')
  [[ "checkpoints/$NEWEST_AT_KILL" < "$resumed" || "checkpoints/$NEWEST_AT_KILL" == "$resumed" ]] ||
    fail "attempt 2 resumed from $resumed, older than $NEWEST_AT_KILL (more than one interval recomputed)"
  contains "$(cat "$dir/logs/rank-1.log")" "=== choline: attempt 2 ==="
  contains "$(cat "$dir/logs/rank-1.log")" "epoch 2 done"
  /usr/bin/python3 - "$dir/metrics.jsonl" "$reference_accuracy" "$(final_accuracy "$run")" <<'PY' || fail "metrics check failed"
import json, sys
steps = [json.loads(l)["step"] for l in open(sys.argv[1])]
assert all(a < b for a, b in zip(steps, steps[1:])), f"steps not strictly increasing: {steps}"
attempts = {json.loads(l)["attempt"] for l in open(sys.argv[1])}
assert attempts == {1, 2}, attempts
assert abs(float(sys.argv[2]) - float(sys.argv[3])) <= 0.005, (sys.argv[2], sys.argv[3])
PY
}

# kill -9 of node 1's whole process group.
start_run_and_wait
note_newest_checkpoint
kill -9 -- "-$NODE1_PID"
set +e; wait "$TRAIN_PID"; code=$?; set -e
[ "$code" = 0 ] || fail "train exited $code after losing a host: $(cat "$SCRATCH/run.out")"
check_recovered "$RUN"
contains "$(cat "$SCRATCH/run.out")" "node 1 lost"
# One continuous log, cut by attempt.
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$RUN" --attempt 2
contains "$OUT" "[1/1] === choline: attempt 2 ==="
case "$OUT" in *"attempt 1 ==="*) fail "logs --attempt 2 shows attempt 1" ;; esac

# kill -STOP: a hung host, not a crashed one. Its frozen processes are killed on release.
start_run_and_wait
note_newest_checkpoint
kill -STOP -- "-$NODE1_PID"
set +e; wait "$TRAIN_PID"; code=$?; set -e
[ "$code" = 0 ] || fail "train exited $code after a host hung: $(cat "$SCRATCH/run.out")"
check_recovered "$RUN"
! kill -0 "$NODE1_PID" 2>/dev/null || fail "the hung host's supervisor was left behind"

# The laptop dies (kill -9 of choline train), then a host dies; choline resume finishes the run.
start_run_and_wait
kill -9 "$TRAIN_PID"; wait "$TRAIN_PID" 2>/dev/null || true
note_newest_checkpoint
kill -9 -- "-$NODE1_PID"
expect_exit 0 "$CHOLINE" -C "$PROJECT" resume "$RUN"
contains "$OUT" "re-attached"
check_recovered "$RUN"
expect_exit 0 "$CHOLINE" -C "$PROJECT" status "$RUN"
contains "$OUT" "lost      node 1"
contains "$OUT" "re-attached"

# A job failure is not a host loss: a worker that fails every time ends the run after
# max_restarts, its last lines shown, and no host is ever replaced.
cat >"$PROJECT/always_fails.py" <<'PY'
import os, sys
print("rank", os.environ["RANK"], "attempt", os.environ["CHOLINE_ATTEMPT"], "cannot go on", flush=True)
sys.exit(1 if os.environ["RANK"] == "1" else 0)
PY
expect_exit 1 "$CHOLINE" -C "$PROJECT" train always_fails.py --1xcpu --nodes 2 --max-restarts 2
run=$(latest_run)
contains "$OUT" "the last lines of rank 1"
contains "$OUT" "rank 1 attempt 3 cannot go on"
[ "$(run_field "$run" 'len(r["attempts"])')" = 3 ] || fail "expected 3 attempts"
[ "$(run_field "$run" 'r["restarts"]')" = 2 ] || fail "expected 2 restarts"
[ "$(run_field "$run" 'len(r["host_losses"])')" = 0 ] || fail "a job failure was taken for a host loss"
[ "$(run_field "$run" 'len(r["hosts"])')" = 2 ] || fail "a host was replaced after a job failure"
# The C++ trainer on choline's runtime survives the same loss (where the runtime was built).
trainer="$(dirname "$CHOLINE")/runtime/fashion-mnist"
if [ -x "$trainer" ]; then
  previous=$(latest_run)
  "$CHOLINE" -C "$PROJECT" train --1xcpu --nodes 2 -- "$trainer" --epochs 3 --limit 6000 --test-limit 500 \
    >"$SCRATCH/cpp.out" 2>&1 </dev/null &
  train_pid=$!
  for _ in $(seq 1 100); do RUN=$(latest_run); [ "$RUN" != "$previous" ] && break; sleep 0.1; done
  for _ in $(seq 1 900); do ls "$PROJECT/.choline/runs/$RUN/checkpoints/"step-*.pt >/dev/null 2>&1 && break; sleep 0.1; done
  ls "$PROJECT/.choline/runs/$RUN/checkpoints/"step-*.pt >/dev/null || fail "no C++ checkpoint came home: $(cat "$SCRATCH/cpp.out")"
  kill -9 -- "-$(run_field "$RUN" 'r["hosts"][1]["agent_pid"]')"
  set +e; wait "$train_pid"; code=$?; set -e
  [ "$code" = 0 ] || fail "the C++ run exited $code after losing a host: $(cat "$SCRATCH/cpp.out")"
  [ "$(run_field "$RUN" 'len(r["host_losses"])')" = 1 ] || fail "expected one host loss in the C++ run"
  contains "$(cat "$SCRATCH/cpp.out")" "resumed from"
  contains "$(cat "$SCRATCH/cpp.out")" "test accuracy"
else
  echo "the runtime was not built (no libtorch): C++ trainer part skipped"
fi
echo "recovery on local: ok"
