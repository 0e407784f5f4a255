# choline logs: worker stderr marked, a colour per rank on a terminal, and the filters
# (--rank, --node, --attempt, --grep, --since) alone and combined, with clear errors.
source "$(dirname "$0")/lib.sh"
make_project
cat >"$PROJECT/both.py" <<'PY'
import os, sys
rank = int(os.environ["RANK"])
print(f"out rank {rank}", flush=True)
print(f"err rank {rank}", file=sys.stderr, flush=True)
if rank == 0:
    print('choline-metrics: {"step": 1, "loss": 0.5}', file=sys.stderr, flush=True)
print(f"done rank {rank}", flush=True)
PY
expect_exit 0 "$CHOLINE" -C "$PROJECT" train both.py --2xcpu
contains "$OUT" "[0/0] [stderr] err rank 0"
contains "$OUT" "[0/1] out rank 1"
run=$(latest_run)
logs="$PROJECT/.choline/runs/$run/logs"
# The files stay plain text: stderr lines marked, stdout lines as written.
grep -qx '\[stderr\] err rank 1' "$logs/rank-1.log" || fail "stderr line not marked in the log file: $(cat -A "$logs/rank-1.log")"
grep -qx 'out rank 1' "$logs/rank-1.log" || fail "stdout line changed in the log file"
# A metrics line on stderr still counts.
grep -q '"loss":0.5' "$PROJECT/.choline/runs/$run/metrics.jsonl" || fail "metrics from stderr were lost"

expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$run" --rank 1
contains "$OUT" "[0/1] out rank 1"
case "$OUT" in *"[0/0]"*) fail "--rank 1 showed rank 0" ;; esac
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$run" --node 0 --grep 'err rank'
[ "$(wc -l <<<"$OUT")" = 2 ] || fail "--node 0 --grep: expected the two stderr lines, got: $OUT"
# Metrics lines are choline's protocol: out of the view unless asked for.
lacks "$(cat "$SCRATCH/out")" "choline-metrics:"
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$run" --rank 0 --attempt 1 --grep metrics
[ -z "$OUT" ] || fail "metrics lines shown without --metrics: $OUT"
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$run" --rank 0 --attempt 1 --grep metrics --metrics
[ "$OUT" = '[0/0] [stderr] choline-metrics: {"step": 1, "loss": 0.5}' ] || fail "combined filters: $OUT"
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs -f "$run" --rank 1 --grep done
[ "$OUT" = "[0/1] done rank 1" ] || fail "-f with filters: $OUT"

# Bad values say what was wrong and what is accepted.
expect_exit 2 "$CHOLINE" -C "$PROJECT" logs "$run" --rank 5
contains "$ERR" "has no rank 5; its ranks are 0, 1"
expect_exit 2 "$CHOLINE" -C "$PROJECT" logs "$run" --node 3
contains "$ERR" "has no node 3; its nodes are 0"
expect_exit 2 "$CHOLINE" -C "$PROJECT" logs "$run" --grep 'loss('
contains "$ERR" "is not a valid regular expression"
expect_exit 2 "$CHOLINE" -C "$PROJECT" logs "$run" --since 10x
contains "$ERR" "'10x' is not a duration"
contains "$ERR" "10m"
expect_exit 1 "$CHOLINE" -C "$PROJECT" logs "$run" --attempt 4
contains "$ERR" "has no attempt 4; its attempts are 1"

# --since counts from when lines reached this machine (logs/arrivals/).
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$run" --since 1h
contains "$OUT" "[0/1] done rank 1"
two_hours_ago=$(( $(date +%s) - 7200 ))
for file in "$logs"/arrivals/rank-*.tsv; do
  sed -i "s/ [0-9]*\$/ $two_hours_ago/" "$file"
done
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$run" --since 1h
[ -z "$OUT" ] || fail "--since 1h showed lines that arrived two hours ago: $OUT"
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$run" --since 3h --rank 0
contains "$OUT" "[0/0] done rank 0"

# On a terminal each rank's prefix has its colour and stderr is red; NO_COLOR turns both off.
if command -v script >/dev/null; then
  script -q -e -c "$(printf '%q ' env -u NO_COLOR TERM=xterm "$CHOLINE" -C "$PROJECT" logs "$run")" /dev/null </dev/null >"$SCRATCH/tty.out" 2>&1
  grep -q $'\033\[36m\[0/0\]\033\[0m' "$SCRATCH/tty.out" || fail "rank 0 not coloured: $(cat -v "$SCRATCH/tty.out")"
  grep -q $'\033\[32m\[0/1\]\033\[0m' "$SCRATCH/tty.out" || fail "rank 1 not coloured"
  grep -q $'\033\[31m\[stderr\]\033\[0m err rank 1' "$SCRATCH/tty.out" || fail "stderr not marked in red"
  script -q -e -c "$(printf '%q ' env NO_COLOR=1 "$CHOLINE" -C "$PROJECT" logs "$run")" /dev/null </dev/null >"$SCRATCH/plain.out" 2>&1
  ! grep -q $'\033' "$SCRATCH/plain.out" || fail "NO_COLOR still coloured: $(cat -v "$SCRATCH/plain.out")"
  grep -q '\[0/1\] \[stderr\] err rank 1' "$SCRATCH/plain.out" || fail "NO_COLOR lost the stderr marker"
fi
# Not a terminal: no colour (this test's stdout is a file).
case "$(cat "$SCRATCH/out")" in *$'\033'*) fail "colour on a pipe" ;; esac

# Detached (Ctrl-C without a terminal), the job goes on writing: `choline logs RUN` without -f
# fetches what the host holds first, then `choline stop` reports the time the run really ran.
cat >"$PROJECT/ticks.py" <<'PY'
import time
for i in range(1, 400):
    print(f"tick {i}", flush=True)
    time.sleep(0.1)
PY
"$CHOLINE" -C "$PROJECT" train ticks.py --1xcpu >"$SCRATCH/detach.out" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 300); do grep -q "tick 3$" "$SCRATCH/detach.out" 2>/dev/null && break; sleep 0.1; done
kill -INT "$pid"
set +e; wait "$pid"; set -e
run=$(latest_run)
sleep 3
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$run"
last=$(grep -o 'tick [0-9]*' <<<"$OUT" | tail -1 | cut -d' ' -f2)
before=$(grep -o 'tick [0-9]*' "$SCRATCH/detach.out" | tail -1 | cut -d' ' -f2)
[ -n "$last" ] && [ "$last" -ge $((before + 15)) ] ||
  fail "logs after the detach showed up to tick ${last:-none}, the detached view had $before"
expect_exit 0 "$CHOLINE" -C "$PROJECT" stop "$run"
seconds=$(grep -o '[0-9]* s)' <<<"$OUT" | tr -dc 0-9)
[ -n "$seconds" ] && [ "$seconds" -ge 3 ] || fail "stop reported a duration of ${seconds:-nothing}: $OUT"
echo "logs: ok"
