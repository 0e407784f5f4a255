# choline train end to end on the local provider.
source "$(dirname "$0")/lib.sh"
make_project

# The README's main job, kept short: two CPU workers, one epoch on part of Fashion-MNIST.
expect_exit 0 "$CHOLINE" -C "$PROJECT" train tr.py --2xcpu --epochs 1 --limit 1200 --test-limit 200
contains "$OUT" "[0/0] epoch 0 done"
contains "$OUT" "[0/1] epoch 0 done"
contains "$OUT" "succeeded"
# The final line says the outcome once ("succeeded", never "succeeded (succeeded)").
final=$(grep '^choline: run ' <<<"$OUT" | tail -n 1)
[[ "$final" =~ ^choline:\ run\ [^\ ]+\ succeeded\ \(1\ attempt,\ [0-9]+\ s\)\;\ checkpoints\ in\ .+/checkpoints$ ]] ||
  fail "unexpected final line: $final"
[ "$(grep -o succeeded <<<"$final" | wc -l)" = 1 ] || fail "the outcome is said twice: $final"
run=$(latest_run)
require_finished_run "$run"
[ "$(run_field "$run" 'all(h["state"] == "released" for h in r["hosts"])')" = True ] || fail "hosts not released"

# An interpreter without torch on this machine: choline finds one that has it and says so.
printf '#!/bin/sh\nexit 3\n' >"$SCRATCH/python-without-torch" && chmod +x "$SCRATCH/python-without-torch"
expect_exit 0 env CHOLINE_PYTHON="$SCRATCH/python-without-torch" "$CHOLINE" -C "$PROJECT" train tr.py --1xcpu --epochs 1 --limit 200 --test-limit 50
contains "$ERR" "has no torch; using"
[ "$(grep -c 'has no torch' <<<"$ERR")" = 1 ] || fail "the interpreter fallback is not one line: $ERR"
contains "$OUT" "epoch 0 done"

# Setup commands run in the project on the host, their output streamed; forwarded env reaches
# workers but neither the run record nor choline's own output.
mkdir -p "$SCRATCH/setup-project"
cat >"$SCRATCH/setup-project/env.py" <<'PY'
import os
value = os.environ.get("CHOLINE_IT_SECRET", "")
print("secret length", len(value), "marker", os.path.exists("setup-marker"), flush=True)
PY
cat >"$SCRATCH/setup-project/choline.json" <<'JSON'
{"setup": ["echo preparing the host", "touch setup-marker"], "env": ["CHOLINE_IT_SECRET"]}
JSON
export CHOLINE_IT_SECRET="s3cret-value-never-logged"
expect_exit 0 "$CHOLINE" -C "$SCRATCH/setup-project" -v train env.py --1xcpu
contains "$OUT" "] preparing the host"
contains "$OUT" "secret length 25 marker True"
case "$OUT$ERR" in *"$CHOLINE_IT_SECRET"*) fail "a forwarded secret reached choline's output" ;; esac
! grep -rq "$CHOLINE_IT_SECRET" "$SCRATCH/setup-project/.choline" || fail "a forwarded secret reached the run record"
unset CHOLINE_IT_SECRET

# Asking the local provider for GPUs is a clear usage error.
expect_exit 2 "$CHOLINE" -C "$PROJECT" train lines.py --4x3090
contains "$ERR" "has no RTX3090"

# Killing choline train does not stop training, and logs -f shows every line exactly once.
setsid "$CHOLINE" -C "$PROJECT" train lines.py --2xcpu -- 40 >"$SCRATCH/train.out" 2>&1 </dev/null &
train_pid=$!
for _ in $(seq 1 100); do grep -q "line 5" "$SCRATCH/train.out" 2>/dev/null && break; sleep 0.1; done
kill -9 "$train_pid"
run=$(latest_run)
[ "$(run_field "$run" 'r["state"]')" = running ] || fail "killed run should still read running"
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs -f "$run"
for rank in 0 1; do
  for i in $(seq 0 39); do
    n=$(grep -c "^\[0/$rank\] rank $rank line $i\$" <<<"$OUT" || true)
    [ "$n" = 1 ] || fail "rank $rank line $i shown $n times by logs -f"
  done
done
[ "$(run_field "$run" 'r["state"]')" = succeeded ] || fail "logs -f did not record the finished run"

# Ctrl-C without a terminal detaches; stop then ends the job and releases the host.
"$CHOLINE" -C "$PROJECT" train lines.py --2xcpu -- 600 >"$SCRATCH/detach.out" 2>&1 </dev/null &
train_pid=$!
for _ in $(seq 1 100); do grep -q "line 2" "$SCRATCH/detach.out" 2>/dev/null && break; sleep 0.1; done
kill -INT "$train_pid"
set +e; wait "$train_pid"; code=$?; set -e
[ "$code" = 130 ] || fail "interrupted train exited $code, expected 130: $(cat "$SCRATCH/detach.out")"
contains "$(cat "$SCRATCH/detach.out")" "detached"
run=$(latest_run)
[ "$(run_field "$run" 'r["state"]')" = detached ] || fail "run not marked detached"
pid=$(run_field "$run" 'r["hosts"][0]["agent_pid"]')
kill -0 "$pid" || fail "training stopped when choline detached"
expect_exit 0 "$CHOLINE" -C "$PROJECT" stop "$run"
[ "$(run_field "$run" 'r["state"]')" = stopped ] || fail "run not marked stopped"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pid" 2>/dev/null || fail "supervisor still running after stop"

# A failing rank restarts the gang from the newest checkpoint.
expect_exit 0 "$CHOLINE" -C "$PROJECT" train tr.py --2xcpu --epochs 2 --limit 800 --test-limit 100 --crash-once-at-epoch 1
contains "$OUT" "restarting all workers from checkpoints/epoch-0000.pt"
contains "$OUT" "resumed from"
run=$(latest_run)
[ "$(run_field "$run" 'len(r["attempts"])')" = 2 ] || fail "expected two attempts"

# resume re-attaches to a detached run that is still training...
"$CHOLINE" -C "$PROJECT" train lines.py --2xcpu -- 30 >"$SCRATCH/resume.out" 2>&1 </dev/null &
train_pid=$!
for _ in $(seq 1 100); do grep -q "line 2" "$SCRATCH/resume.out" 2>/dev/null && break; sleep 0.1; done
kill -INT "$train_pid"
set +e; wait "$train_pid"; set -e
run=$(latest_run)
expect_exit 0 "$CHOLINE" -C "$PROJECT" resume "$run"
contains "$OUT" "re-attached"
[ "$(run_field "$run" 'r["state"]')" = succeeded ] || fail "resumed run did not finish"
[ "$(run_field "$run" 'len(r["attempts"])')" = 1 ] || fail "re-attaching must not start a new attempt"

# ...and restarts a failed run, whose hosts were released, as a new attempt.
cat >"$PROJECT/flaky.py" <<'PY'
import os, sys
print("attempt", os.environ["CHOLINE_ATTEMPT"], "rank", os.environ["RANK"], flush=True)
sys.exit(3 if os.environ["CHOLINE_ATTEMPT"] == "1" else 0)
PY
expect_exit 3 "$CHOLINE" -C "$PROJECT" train flaky.py --2xcpu --max-restarts 0
run=$(latest_run)
[ "$(run_field "$run" 'r["state"]')" = failed ] || fail "flaky run should have failed"
expect_exit 0 "$CHOLINE" -C "$PROJECT" resume "$run"
contains "$OUT" "as attempt 2"
contains "$OUT" "attempt 2 rank 1"
[ "$(run_field "$run" 'r["state"]')" = succeeded ] || fail "resumed run did not succeed"
echo "train on local: ok"
