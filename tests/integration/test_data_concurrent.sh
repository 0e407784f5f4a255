# Two runs at once on one host (the local provider: every run's host is this machine, with one
# data cache) stage the same new dataset version: one builds it while the other waits on the
# entry's lock, both read the same bytes, and the cache ends with exactly one copy and no stage.
source "$(dirname "$0")/lib.sh"
make_project
mkdir -p "$PROJECT/data"
head -c 3000000 /dev/urandom >"$PROJECT/data/a.bin"
for i in $(seq 1 30); do head -c 2000 /dev/urandom >"$PROJECT/data/f$i.bin"; done
cat >"$PROJECT/check.py" <<'PY'
import hashlib, os
with open(os.path.join(os.environ["CHOLINE_DATA_DIR"], "data/a.bin"), "rb") as f:
    print(f"rank {os.environ['RANK']} a {hashlib.sha256(f.read()).hexdigest()}", flush=True)
PY
echo '{"python": "/usr/bin/python3", "data": ["data"]}' >"$PROJECT/choline.json"
digest=$(sha256sum "$PROJECT/data/a.bin" | cut -d' ' -f1)

"$CHOLINE" -C "$PROJECT" train check.py --1xcpu >"$SCRATCH/one.out" 2>&1 </dev/null &
one=$!
"$CHOLINE" -C "$PROJECT" train check.py --1xcpu >"$SCRATCH/two.out" 2>&1 </dev/null &
two=$!
set +e; wait "$one"; code_one=$?; wait "$two"; code_two=$?; set -e
[ "$code_one" = 0 ] || fail "the first run exited $code_one: $(cat "$SCRATCH/one.out")"
[ "$code_two" = 0 ] || fail "the second run exited $code_two: $(cat "$SCRATCH/two.out")"
contains "$(cat "$SCRATCH/one.out")" "rank 0 a $digest"
contains "$(cat "$SCRATCH/two.out")" "rank 0 a $digest"
[ "$(ls -d "$CHOLINE_HOME"/data/tree-* | wc -l)" = 1 ] || fail "the cache holds $(ls -d "$CHOLINE_HOME"/data/tree-*)"
! ls -d "$CHOLINE_HOME"/data/.stage-* >/dev/null 2>&1 || fail "a stage was left: $(ls -a "$CHOLINE_HOME/data")"
# One of them built the version, the other found it built.
actions=$(for run in $(ls "$PROJECT/.choline/runs"); do
  run_field "$run" '[e["action"] for ev in r["events"] if ev.get("type") == "data_staged" for e in ev["entries"]][0]'
done | sort | tr '\n' ' ')
[ "$actions" = "cached sent " ] || fail "expected one run to send and one to find it cached, got: $actions"
echo "two runs at once share one cache entry: ok"
