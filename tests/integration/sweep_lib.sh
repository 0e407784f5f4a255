# Helpers for the sweep integration tests: sourced after lib.sh.

# A tiny training script whose accuracy depends on its parameters: best near lr=1e-2 and
# width=128. It reports `choline-metrics:` lines (rank 0), writes a checkpoint per step to
# $CHOLINE_CKPT_DIR and resumes from $CHOLINE_RESUME_FROM (or its own newest checkpoint).
make_sweep_project() {
  mkdir -p "$SCRATCH/sweep"
  cat >"$SCRATCH/sweep/sw.py" <<'PY'
import argparse, glob, json, math, os, time
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--width", type=int, default=64)
p.add_argument("--steps", type=int, default=9)
p.add_argument("--pause", type=float, default=0.25)
a = p.parse_args()
rank = int(os.environ.get("RANK", "0"))
ckpt = os.environ["CHOLINE_CKPT_DIR"]
os.makedirs(ckpt, exist_ok=True)
params = json.loads(os.environ["CHOLINE_PARAMS"])
assert abs(params["lr"] - a.lr) <= 1e-9 * max(1.0, abs(a.lr)), (params, a.lr)
start = 0
resume = os.environ.get("CHOLINE_RESUME_FROM") or ""
if not resume:
    found = sorted(glob.glob(os.path.join(ckpt, "step-*.json")))
    resume = found[-1] if found else ""
if resume and os.path.exists(resume):
    start = json.load(open(resume))["step"]
print(f"trial {os.environ['CHOLINE_TRIAL']} starts at step {start}", flush=True)
quality = 1.0 - abs(math.log10(a.lr) + 2.0) / 4.0 - (0.0 if a.width == 128 else 0.1)
for step in range(start + 1, a.steps + 1):
    time.sleep(a.pause)
    if rank != 0:
        continue
    acc = quality * (1.0 - 0.5 ** step)
    path = os.path.join(ckpt, f"step-{step:04d}.json")
    with open(path + ".tmp", "w") as f:
        json.dump({"step": step}, f)
    os.replace(path + ".tmp", path)
    print("choline-metrics: " + json.dumps({"step": step, "acc": acc}), flush=True)
print("trial done", flush=True)
PY
  PROJECT="$SCRATCH/sweep"
}

# sweep_field SWEEP EXPR: EXPR over the status JSON s (trials best first), in Python.
sweep_field() {
  "$CHOLINE" -C "$PROJECT" sweep status --json "$1" | /usr/bin/python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"
}

latest_sweep() {
  ls -1 "$PROJECT/.choline/sweeps" | sort | tail -n 1
}
