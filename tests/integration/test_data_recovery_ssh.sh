# A host lost mid-run (its sshd stopped, its processes killed with kill -9) is replaced by
# another ssh host, which gets the data entries into its own cache before the attempt that
# resumes on it; the survivor keeps its copy; the workers of attempt 2 read the same bytes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sshd.sh"
make_project
start_sshd node0; port0=$SSHD_PORT
start_sshd node1; port1=$SSHD_PORT; dir1=$SSHD_DIR
start_sshd node2; port2=$SSHD_PORT
mkdir -p "$PROJECT/data"
head -c 300000 /dev/urandom >"$PROJECT/data/d.bin"
printf 'data/\n.choline/\n' >"$PROJECT/.gitignore"
cat >"$PROJECT/worker.py" <<'PY'
import hashlib, os, time
with open(os.path.join(os.environ["CHOLINE_DATA_DIR"], "data/d.bin"), "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
attempt = os.environ["CHOLINE_ATTEMPT"]
print(f"attempt {attempt} rank {os.environ['RANK']} data {digest}", flush=True)
if attempt == "1":
    time.sleep(60)  # until node 1 is killed and the gang is stopped
PY
cat >"$PROJECT/choline.json" <<JSON
{
  "provider": "ssh",
  "python": "/usr/bin/python3",
  "host_timeout": 4,
  "data": ["data"],
  "hosts": [
    {"host": "127.0.0.1", "port": $port0, "user": "$SSHD_USER", "identity": "$SSHD_KEY", "gpus": "1xcpu", "workdir": "$SCRATCH/remote0"},
    {"host": "127.0.0.1", "port": $port1, "user": "$SSHD_USER", "identity": "$SSHD_KEY", "gpus": "1xcpu", "workdir": "$SCRATCH/remote1"},
    {"host": "127.0.0.1", "port": $port2, "user": "$SSHD_USER", "identity": "$SSHD_KEY", "gpus": "1xcpu", "workdir": "$SCRATCH/remote2"}
  ]
}
JSON
digest=$(sha256sum "$PROJECT/data/d.bin" | cut -d' ' -f1)
"$CHOLINE" -C "$PROJECT" train worker.py --nodes 2 --1xcpu >"$SCRATCH/run.out" 2>&1 </dev/null &
train_pid=$!
for _ in $(seq 1 100); do run=$(latest_run 2>/dev/null || true); [ -n "$run" ] && break; sleep 0.1; done
log1="$PROJECT/.choline/runs/$run/logs/rank-1.log"
for _ in $(seq 1 300); do grep -q "attempt 1 rank 1 data" "$log1" 2>/dev/null && break; sleep 0.1; done
grep -q "attempt 1 rank 1 data $digest" "$log1" || fail "node 1 did not read the data: $(cat "$SCRATCH/run.out")"

node1_pid=$(run_field "$run" 'r["hosts"][1]["agent_pid"]')
kill "$(cat "$dir1/sshd.pid")"
kill -9 -- "-$node1_pid"
set +e; wait "$train_pid"; code=$?; set -e
[ "$code" = 0 ] || fail "train exited $code: $(cat "$SCRATCH/run.out")"
[ "$(run_field "$run" 'len(r["hosts"])')" = 3 ] || fail "expected a replacement host"
[ "$(run_field "$run" 'r["hosts"][2]["id"]')" = "$SSHD_USER@127.0.0.1:$port2" ] || fail "the replacement is not the third host"
contains "$(cat "$log1")" "attempt 2 rank 1 data $digest"
# Journaled: each of the three hosts staged the data once; the replacement's own cache got it sent.
staged=$(run_field "$run" '";".join(ev["id"] + "=" + ev["entries"][0]["action"] for ev in r["events"] if ev.get("type") == "data_staged")')
[ "$staged" = "$SSHD_USER@127.0.0.1:$port0=sent;$SSHD_USER@127.0.0.1:$port1=sent;$SSHD_USER@127.0.0.1:$port2=sent" ] ||
  [ "$staged" = "$SSHD_USER@127.0.0.1:$port1=sent;$SSHD_USER@127.0.0.1:$port0=sent;$SSHD_USER@127.0.0.1:$port2=sent" ] ||
  fail "unexpected data staging: $staged"
ls -d "$SCRATCH"/remote2/data/tree-* >/dev/null || fail "the replacement's cache does not hold the data"
[ -L "$SCRATCH/remote2/runs/$run/node1/project/data" ] || fail "the replacement's run does not see the data"
echo "data on a replacement host over ssh: ok"
