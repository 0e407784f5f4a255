# Money safety on the vast.ai simulator: a destroy that silently fails is caught by reading the
# instance back, journaled, shown by status and retried by choline stop; instances whose run
# record is gone (a crashed laptop) are listed by status --provider and destroyed by
# stop --orphans; status shows $/h and cost; --max-cost stops a run in time. (~20 s)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim.sh"
make_project
start_sim vast

# Destroys that answer success but do nothing: the run's release fails after its checks.
sim_config '{"ignore_destroys": 100}'
expect_exit 0 "$CHOLINE" -C "$PROJECT" train lines.py --1x3090 --provider vast -- 2
run=$(latest_run)
contains "$ERR" "could not release"
[ "$(run_field "$run" 'sum(e["type"] == "release_failed" for e in r["events"])')" -ge 1 ] || fail "release failure not journaled"
[ "$(sim_alive)" = 1 ] || fail "the instance should still be alive"
expect_exit 0 "$CHOLINE" -C "$PROJECT" status
contains "$OUT" "choline stop $run"
expect_exit 0 "$CHOLINE" -C "$PROJECT" status "$run"
contains "$OUT" "NOT RELEASED"
contains "$OUT" "so far"
# The provider works again: choline stop retries the release, verified.
sim_config '{"ignore_destroys": 0}'
expect_exit 0 "$CHOLINE" -C "$PROJECT" stop "$run"
contains "$OUT" "released"
require_no_leak
[ "$(run_field "$run" 'all(h["state"] == "released" for h in r["hosts"])')" = True ] || fail "hosts not marked released"

# A crashed laptop: the run record is lost while its instance runs.
"$CHOLINE" -C "$PROJECT" train lines.py --1x3090 --provider vast -- 600 >"$SCRATCH/crash.out" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 200); do grep -q "line 2" "$SCRATCH/crash.out" 2>/dev/null && break; sleep 0.1; done
kill -9 "$pid"
set +e; wait "$pid" 2>/dev/null; set -e
run=$(latest_run)
expect_exit 0 "$CHOLINE" -C "$PROJECT" status --provider vast
contains "$OUT" "no choline instances"   # the record still holds it: not an orphan
rm -rf "$PROJECT/.choline/runs/$run"
expect_exit 0 "$CHOLINE" -C "$PROJECT" status --provider vast
contains "$OUT" "choline-$run-node0"
contains "$OUT" "choline stop --orphans"
expect_exit 0 "$CHOLINE" -C "$PROJECT" stop --orphans --provider vast
contains "$OUT" "destroyed vast instance"
require_no_leak
require_key_hidden
# --max-cost: the run stops (checkpoints pulled) before it would pass the limit, and releases.
expect_exit 1 "$CHOLINE" -C "$PROJECT" train lines.py --1x3090 --provider vast --max-cost 0.001 -- 600
contains "$OUT" "cost limit reached"
run=$(latest_run)
[ "$(run_field "$run" 'r["state"]')" = stopped ] || fail "a run over its cost limit should be stopped"
require_no_leak
# The plan shows the limits, and never a key.
expect_exit 0 "$CHOLINE" -C "$PROJECT" train lines.py --1x3090 --provider vast --max-cost 5 --dry-run
contains "$OUT" '"max_cost": 5'
require_key_hidden
echo "leak handling: ok"
