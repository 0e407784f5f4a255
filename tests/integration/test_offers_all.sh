# choline offers --provider all: the three simulators asked at once, one ranking; a provider
# without a key is a warning while the others answer. (~3 s)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim.sh"
make_project
start_sim vast; start_sim runpod; start_sim lambda
expect_exit 0 "$CHOLINE" -C "$PROJECT" offers --4x3090 --provider all --json
/usr/bin/python3 - "$OUT" <<'PY' || fail "offers from all three, ranked: $OUT"
import json, sys
offers = json.loads(sys.argv[1])
assert {o["provider"] for o in offers} == {"vast", "runpod", "lambda"}, offers
prices = [o["price_per_hour"] for o in offers]
assert prices == sorted(prices), prices
assert all(o["gpus"] == 4 for o in offers)
PY
# The table: cheapest first, with per-GPU price, reliability and location columns.
expect_exit 0 "$CHOLINE" -C "$PROJECT" offers --4x3090 --provider all --max-price 0.25
contains "$OUT" "\$/GPU-H"
contains "$OUT" "Ohio, US"
! grep -q "lambda " <<<"$OUT" || fail "--max-price should leave out lambda's 4x3090 at 0.295/GPU-h: $OUT"
# One provider failing is a warning, not an error.
expect_exit 0 env RUNPOD_API_KEY= "$CHOLINE" -C "$PROJECT" offers --4x3090 --provider all
contains "$ERR" "RUNPOD_API_KEY"
contains "$OUT" "vast"
echo "offers from all providers: ok"
