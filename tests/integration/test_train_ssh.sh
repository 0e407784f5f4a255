# choline train on two bring-your-own hosts: two real sshd daemons on loopback, one node each.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sshd.sh"
make_project
start_sshd node0; port0=$SSHD_PORT
start_sshd node1; port1=$SSHD_PORT
cat >"$PROJECT/choline.json" <<JSON
{
  "provider": "ssh",
  "python": "/usr/bin/python3",
  "hosts": [
    {"host": "127.0.0.1", "port": $port0, "user": "$SSHD_USER", "identity": "$SSHD_KEY", "gpus": "1xcpu", "workdir": "$SCRATCH/remote0"},
    {"host": "127.0.0.1", "port": $port1, "user": "$SSHD_USER", "identity": "$SSHD_KEY", "gpus": "1xcpu", "workdir": "$SCRATCH/remote1"}
  ]
}
JSON
expect_exit 0 "$CHOLINE" -C "$PROJECT" train tr.py --nodes 2 --1xcpu --epochs 1 --limit 1000 --test-limit 200
contains "$OUT" "[0/0] epoch 0 done"
contains "$OUT" "[1/1] epoch 0 done"
run=$(latest_run)
require_finished_run "$run"
[ "$(run_field "$run" 'len(r["hosts"])')" = 2 ] || fail "expected two hosts in the record"
# Each host got the agent under its workdir, named by content hash, and the project.
ls "$SCRATCH"/remote0/agent/choline-* >/dev/null || fail "agent not installed on node0"
[ -f "$SCRATCH/remote1/runs/$run/node1/project/tr.py" ] || fail "project not pushed to node1"
# Host keys were pinned in choline's own known_hosts.
grep -q "$port0" "$CHOLINE_HOME/known_hosts" || fail "host key of node0 not pinned"

# A run that fails in preflight says what failed and how to fix it, and names no checkpoints
# (there are none); the ssh provider has no other interpreter to fall back to.
expect_exit 2 env CHOLINE_PYTHON=/nonexistent/python3 "$CHOLINE" -C "$PROJECT" train tr.py --1xcpu
contains "$ERR" "the interpreter '/nonexistent/python3' does not run on"
contains "$ERR" 'choose the interpreter with "python" in choline.json, --python, or CHOLINE_PYTHON'
contains "$OUT" "failed"
case "$OUT" in *"checkpoints in"*) fail "a run that failed before training names a checkpoints directory: $OUT" ;; esac

# From another terminal: detach from a run on the ssh hosts, then follow it to its end.
"$CHOLINE" -C "$PROJECT" train lines.py --nodes 2 --1xcpu -- 30 >"$SCRATCH/detach.out" 2>&1 </dev/null &
train_pid=$!
for _ in $(seq 1 200); do grep -q "line 2" "$SCRATCH/detach.out" 2>/dev/null && break; sleep 0.1; done
kill -INT "$train_pid"
set +e; wait "$train_pid"; code=$?; set -e
[ "$code" = 130 ] || fail "interrupted train exited $code: $(cat "$SCRATCH/detach.out")"
run=$(latest_run)
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs -f "$run"
contains "$OUT" "[1/1] rank 1 line 29"
[ "$(run_field "$run" 'r["state"]')" = succeeded ] || fail "logs -f did not record the finished ssh run"
echo "train over ssh: ok"
