# Host loss on the ssh provider: three real sshd hosts listed, two nodes used. Node 1's sshd and
# all its processes die mid-run; choline takes the third host and the run finishes there.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sshd.sh"
make_project
start_sshd node0; port0=$SSHD_PORT
start_sshd node1; port1=$SSHD_PORT; dir1=$SSHD_DIR
start_sshd node2; port2=$SSHD_PORT
cat >"$PROJECT/choline.json" <<JSON
{
  "provider": "ssh",
  "python": "/usr/bin/python3",
  "hosts": [
    {"host": "127.0.0.1", "port": $port0, "user": "$SSHD_USER", "identity": "$SSHD_KEY", "gpus": "1xcpu", "workdir": "$SCRATCH/remote0"},
    {"host": "127.0.0.1", "port": $port1, "user": "$SSHD_USER", "identity": "$SSHD_KEY", "gpus": "1xcpu", "workdir": "$SCRATCH/remote1"},
    {"host": "127.0.0.1", "port": $port2, "user": "$SSHD_USER", "identity": "$SSHD_KEY", "gpus": "1xcpu", "workdir": "$SCRATCH/remote2"}
  ]
}
JSON
"$CHOLINE" -C "$PROJECT" train tr.py --nodes 2 --1xcpu --epochs 3 --limit 6000 --test-limit 500 >"$SCRATCH/run.out" 2>&1 </dev/null &
train_pid=$!
for _ in $(seq 1 100); do run=$(latest_run 2>/dev/null || true); [ -n "$run" ] && break; sleep 0.1; done
for _ in $(seq 1 600); do [ -f "$PROJECT/.choline/runs/$run/checkpoints/epoch-0000.pt" ] && break; sleep 0.1; done
[ -f "$PROJECT/.choline/runs/$run/checkpoints/epoch-0000.pt" ] || fail "no checkpoint came home: $(cat "$SCRATCH/run.out")"

# Node 1 dies: its sshd stops answering and everything it ran is killed.
node1_pid=$(run_field "$run" 'r["hosts"][1]["agent_pid"]')
kill "$(cat "$dir1/sshd.pid")"
kill -9 -- "-$node1_pid"
set +e; wait "$train_pid"; code=$?; set -e
[ "$code" = 0 ] || fail "train exited $code: $(cat "$SCRATCH/run.out")"
[ "$(run_field "$run" 'r["state"]')" = succeeded ] || fail "run did not succeed"
[ "$(run_field "$run" 'len(r["host_losses"])')" = 1 ] || fail "expected one host loss"
[ "$(run_field "$run" 'r["hosts"][2]["id"]')" = "$SSHD_USER@127.0.0.1:$port2" ] ||
  fail "the replacement is not the third host"
[ "$(run_field "$run" 'r["hosts"][2]["node"]')" = 1 ] || fail "the third host does not serve node 1"
[ -f "$SCRATCH/remote2/runs/$run/node1/project/checkpoints/epoch-0000.pt" ] || fail "the replacement did not get the checkpoint"
contains "$(cat "$PROJECT/.choline/runs/$run/logs/rank-1.log")" "=== choline: attempt 2 ==="
contains "$(cat "$PROJECT/.choline/runs/$run/logs/rank-1.log")" "epoch 2 done"
echo "recovery over ssh: ok"
