# choline against the vast.ai simulator: offers, train, refused and never-booting offers, 429s,
# bad keys, Ctrl-C and kill -9, two nodes with a node lost, hosts behind NAT -- and never a
# live instance afterwards. (~70 s)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim.sh"
source "$(dirname "$0")/provider_flow.sh"
# The cheapest 2x3090 offer (1001) refuses, then it stays "loading" forever.
provider_flow vast VAST_API_KEY '{"refuse": [1001]}' '{"refuse": [], "never_boot": [1001]}' \
  '{"never_boot": []}' full

# Two nodes: preflight passes on loopback, a node's instance killed
# mid-run is replaced (its replacement labelled apart), nothing alive afterwards.
"$CHOLINE" -C "$PROJECT" train lines.py --1x3090 --nodes 2 --provider vast -- 60 >"$SCRATCH/multi.out" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 200); do grep -q "rank 1 line 5" "$SCRATCH/multi.out" 2>/dev/null && break; sleep 0.1; done
run=$(latest_run)
victim=$(run_field "$run" '[h["id"] for h in r["hosts"] if h["node"] == 1][0]')
sim_kill "$victim"
set +e; wait "$pid"; code=$?; set -e
[ "$code" = 0 ] || fail "the two-node run did not survive losing node 1: $(tail -20 "$SCRATCH/multi.out")"
[ "$(run_field "$run" 'len(r["host_losses"])')" = 1 ] || fail "the killed instance was not recorded as lost"
[ "$(run_field "$run" '[h["access"]["label"] for h in r["hosts"]][-1]')" = "choline-$run-node1-1" ] ||
  fail "the replacement should be labelled apart from the lost instance"
require_no_leak

# Hosts behind NAT (node 0 unreachable from node 1): the run fails within seconds, saying why.
sim_config '{"behind_nat": [1010]}'
start=$SECONDS
expect_exit 1 "$CHOLINE" -C "$PROJECT" train lines.py --1x3090 --nodes 2 --provider vast -- 3
contains "$OUT$ERR" "cannot reach node 0"
contains "$OUT$ERR" "one host with all the GPUs"
[ $((SECONDS - start)) -le 30 ] || fail "the reachability failure took $((SECONDS - start)) s"
require_no_leak
require_key_hidden
echo "vast provider: ok"
