# choline sweep against the vast.ai simulator: a 4-trial sweep on 2 hosts rents exactly 2
# instances, runs every trial on them, and leaves no instance alive. (~30 s)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim.sh"
source "$(dirname "$0")/sweep_lib.sh"
make_sweep_project
start_sim vast

expect_exit 0 "$CHOLINE" -C "$PROJECT" sweep sw.py --1x3090 --provider vast --parallel 2 --trials 4 --seed 2 \
  --stopper none -p lr=loguniform:1e-4:1e-1 --metric acc --maximize -- --steps 3 --pause 0.1
sweep=$(latest_sweep)
[ "$(sweep_field "$sweep" 's["state"]')" = finished ] || fail "sweep not finished: $OUT"
[ "$(sweep_field "$sweep" 'sum(t["state"] == "finished" for t in s["trials"])')" = 4 ] || fail "not 4 finished trials: $OUT"
[ "$(sweep_field "$sweep" 'len(s["hosts"])')" = 2 ] || fail "the sweep rented $(sweep_field "$sweep" 'len(s["hosts"])') hosts, not 2"
[ "$(sweep_field "$sweep" 'all(h["released"] for h in s["hosts"])')" = True ] || fail "hosts not released"
require_no_leak
require_key_hidden

# --max-cost caps the whole sweep: once the pool's hosts cost that much, running trials stop
# (checkpoints pulled), nothing new starts, and every instance is destroyed.
expect_exit 0 "$CHOLINE" -C "$PROJECT" sweep sw.py --1x3090 --provider vast --parallel 2 --trials 20 --seed 2 \
  --stopper none --max-cost 0.0005 -p lr=loguniform:1e-4:1e-1 --metric acc --maximize -- --steps 200 --pause 0.1
sweep=$(latest_sweep)
contains "$(sweep_field "$sweep" 's["reason"]')" "cost limit reached"
[ "$(sweep_field "$sweep" 'len(s["trials"])')" -lt 20 ] || fail "the cost limit did not stop the sweep"
[ "$(sweep_field "$sweep" 'all(t["state"] == "stopped" for t in s["trials"])')" = True ] || fail "trials not stopped at the cost limit: $OUT"
require_no_leak
echo "sweep on vast: ok"
