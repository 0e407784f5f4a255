# choline sweep --method pbt on the local provider: four trials run at once; at each check the
# bottom quarter stops, takes a top trial's newest checkpoint (pulled home) and perturbed
# parameters, and goes on from it as the same trial. The script resumes from whatever
# CHOLINE_RESUME_FROM names and checks that its arguments and CHOLINE_PARAMS agree.
source "$(dirname "$0")/lib.sh"
[ -n "${KEEP_SCRATCH:-}" ] && trap "echo kept $SCRATCH" EXIT
mkdir -p "$SCRATCH/pbt"
PROJECT="$SCRATCH/pbt"
cat >"$PROJECT/pbt.py" <<'PY'
import argparse, json, math, os, time
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, required=True)
p.add_argument("--steps", type=int, default=40)
p.add_argument("--pause", type=float, default=0.4)
a = p.parse_args()
trial = int(os.environ["CHOLINE_TRIAL"])
params = json.loads(os.environ["CHOLINE_PARAMS"])
assert abs(params["lr"] - a.lr) <= 1e-9 * max(1.0, abs(a.lr)), (params, a.lr)
ckpt = os.environ["CHOLINE_CKPT_DIR"]
os.makedirs(ckpt, exist_ok=True)
# The "model" is one number that grows fastest with lr near 0.1.
step, value, origin = 0, 0.0, trial
resume = os.environ.get("CHOLINE_RESUME_FROM") or ""
if resume:
    state = json.load(open(resume))
    step, value, origin = state["step"], state["value"], state["trial"]
    print(f"trial {trial} resumes from trial {origin}'s checkpoint at step {step} with lr={a.lr}", flush=True)
else:
    print(f"trial {trial} starts with lr={a.lr}", flush=True)
gain = max(0.0, 1.0 - abs(math.log10(a.lr) + 1.0) / 2.0)
for step in range(step + 1, a.steps + 1):
    time.sleep(a.pause)
    value += gain
    path = os.path.join(ckpt, "state.json")
    with open(path + ".tmp", "w") as f:
        json.dump({"step": step, "value": value, "trial": trial}, f)
    os.replace(path + ".tmp", path)
    print("choline-metrics: " + json.dumps({"step": step, "value": value}), flush=True)
print(f"trial {trial} done", flush=True)
PY

# --pbt-interval belongs to --method pbt, and PBT takes no stopper.
expect_exit 2 "$CHOLINE" -C "$PROJECT" sweep pbt.py --1xcpu -p lr=loguniform:1e-3:1 --metric value --pbt-interval 4
contains "$ERR" "--pbt-interval"
expect_exit 2 "$CHOLINE" -C "$PROJECT" sweep pbt.py --1xcpu -p lr=loguniform:1e-3:1 --metric value --method pbt
contains "$ERR" "interval"
expect_exit 2 "$CHOLINE" -C "$PROJECT" sweep pbt.py --1xcpu -p lr=loguniform:1e-3:1 --metric value --method pbt \
  --pbt-interval 8 --stopper asha
contains "$ERR" "stopper"

# --dry-run shows PBT's settings, and says what a population larger than --parallel means.
expect_exit 0 "$CHOLINE" -C "$PROJECT" sweep pbt.py --1xcpu --parallel 2 --trials 4 --seed 3 --method pbt \
  --pbt-interval 8 -p lr=loguniform:1e-3:1 --metric value --maximize --dry-run
contains "$OUT" '"interval": 8'
contains "$OUT" "members run in turns"

start=$(date +%s)
expect_exit 0 "$CHOLINE" -C "$PROJECT" sweep pbt.py --1xcpu --parallel 4 --trials 4 --seed 3 --method pbt \
  --pbt-interval 8 -p lr=loguniform:1e-3:1 --metric value --maximize
echo "PBT sweep took $(( $(date +%s) - start )) s" >&2
echo "$OUT" >&2
SWEEP_OUT="$OUT"
sweep=$(ls -1 "$PROJECT/.choline/sweeps" | tail -n 1)
field() {
  "$CHOLINE" -C "$PROJECT" sweep status --json "$sweep" | /usr/bin/python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"
}
[ "$(field 's["state"]')" = finished ] || fail "sweep not finished: $OUT"
[ "$(field 'len(s["hosts"])')" = 4 ] || fail "the pool did not rent exactly 4 hosts"
[ "$(field 'all(h["released"] for h in s["hosts"])')" = True ] || fail "hosts left unreleased"
[ "$(field 'sum(t["state"] != "finished" for t in s["trials"])')" = 0 ] || fail "a trial did not finish: $OUT"

# At least one trial was replaced; each replacement is journaled with the trial it copied, and the
# trial's next attempt resumed from that trial's checkpoint with its new parameters.
journal="$PROJECT/.choline/sweeps/$sweep/sweep.json"
copies=$(/usr/bin/python3 -c "import json; print(sum(len(t['copies']) for t in json.load(open('$journal'))['trials']))")
echo "PBT copies: $copies" >&2
[ "$copies" -ge 1 ] || fail "no trial copied another's checkpoint: $OUT"
[ "$(field 'sum(len(t["copies"]) for t in s["trials"])')" = "$copies" ] || fail "sweep status --json does not show the copies"
expect_exit 0 "$CHOLINE" -C "$PROJECT" sweep status "$sweep"
contains "$OUT" ", copied trial "
contains "$SWEEP_OUT" "is replaced: "
contains "$SWEEP_OUT" "'s checkpoint: --lr="
/usr/bin/python3 - "$journal" "$PROJECT/.choline/runs" <<'PY' || fail "a copy is not what the journal says"
import json, os, re, sys
status = json.load(open(sys.argv[1]))
for t in status["trials"]:
    if not t["copies"]:
        continue
    log = open(os.path.join(sys.argv[2], t["run_id"], "logs", "rank-0.log")).read()
    last = t["copies"][-1]
    # The attempt after the last copy resumed from the source's checkpoint, with the trial's
    # final parameters on its command line (the script checked CHOLINE_PARAMS agrees).
    resumes = re.findall(r"trial %d resumes from trial (\d+)'s checkpoint at step (\d+) with lr=(\S+)" % t["id"], log)
    assert resumes, log[-2000:]
    source, step, lr = resumes[-1]
    assert int(source) == last["from_trial"], (resumes, last)
    assert int(step) > 0
    assert abs(float(lr) - t["params"]["lr"]) <= 1e-12 * t["params"]["lr"], (lr, t["params"])
    assert last["params_before"]["lr"] != t["params"]["lr"], t
    run = json.load(open(os.path.join(sys.argv[2], t["run_id"], "run.json")))
    flags = [a for a in run["command"] if a.startswith("--lr=")]
    assert len(flags) == 1 and abs(float(flags[0][5:]) - t["params"]["lr"]) <= 1e-12 * t["params"]["lr"], run["command"]
    print(f"trial {t['id']} copied trial {source} at step {last['resource']}, resumed at step {step}", file=sys.stderr)
PY
# Replaced trials count their tries once: no trial was started twice from scratch.
for log in "$PROJECT"/.choline/runs/"$sweep"-t*/logs/rank-0.log; do
  starts=$(grep -c "starts with lr=" "$log" || true)
  [ "$starts" = 1 ] || fail "$log: $starts starts from scratch"
done
