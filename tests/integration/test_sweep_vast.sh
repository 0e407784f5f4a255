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
echo "sweep on vast: ok"
