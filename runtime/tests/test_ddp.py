#!/usr/bin/env python3
"""Tests of choline's libtorch DDP runtime with real processes on loopback (run by ctest).

  1. parameters are bit-identical across ranks after N steps
  2. 2 ranks x batch B match 1 process x batch 2B to float tolerance (with and without
     gradient accumulation)
  3. a rank that dies mid-step makes the survivor fail within seconds, with an error
  4. resuming from a checkpoint reproduces the uninterrupted run's loss at the next step
  5. the Fashion-MNIST trainer runs on 2 ranks and reaches a sane accuracy quickly
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

CHECK, TRAINER = sys.argv[1], sys.argv[2]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def launch(argv, world, extra_env=None, timeout=300):
    """Starts `world` ranks with the torchrun environment; returns [(code, stderr, seconds)]."""
    port = free_port()
    procs = []
    started = time.monotonic()
    for rank in range(world):
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), LOCAL_WORLD_SIZE=str(world),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), OMP_NUM_THREADS="1", **(extra_env or {}))
        procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        results.append((p.returncode, out + err, time.monotonic() - started))
    return results


def floats(path):
    data = open(path, "rb").read()
    return struct.unpack(f"{len(data) // 4}f", data)


def losses(path):
    return {int(a): float(b) for a, b in (line.split() for line in open(path))}


failures = []
passed = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    (passed if condition else failures).append(message)


work = tempfile.mkdtemp(prefix="choline-ddp-")

# 1 and 2: DDP vs single process.
for accum in (1, 2):
    ddp = os.path.join(work, f"ddp{accum}")
    single = os.path.join(work, f"single{accum}")
    results = launch([CHECK, "train", ddp, "20", "8", str(accum)], 2)
    check(all(r[0] == 0 for r in results), f"2-rank training (accum {accum}) exits 0: {[r[1][-300:] for r in results if r[0]]}")
    results = launch([CHECK, "train", single, "20", "16", str(accum)], 1)
    check(results[0][0] == 0, f"single-process reference (accum {accum}) exits 0: {results[0][1][-300:]}")
    r0, r1, ref = floats(ddp + ".rank0.params"), floats(ddp + ".rank1.params"), floats(single + ".rank0.params")
    check(r0 == r1, f"parameters bit-identical across ranks after 20 steps (accum {accum})")
    worst = max(abs(a - b) for a, b in zip(r0, ref))
    check(worst < 1e-4, f"2 x batch 8 matches 1 x batch 16 (accum {accum}): max |diff| {worst:.2e}")

# 3: a dying rank makes the other fail fast.
results = launch([CHECK, "crash", "5"], 2, timeout=120)
survivor_code, survivor_err, survivor_seconds = results[0]
check(results[1][0] == 9, "the crashing rank exited 9")
check(survivor_code != 0, f"the surviving rank failed (exit {survivor_code})")
check(survivor_seconds < 20, f"the surviving rank failed within {survivor_seconds:.1f}s (< 20 s)")
check("error" in survivor_err.lower(), f"the survivor says why: {survivor_err.strip()[-200:]}")

# 4: resume reproduces the loss at the next step.
full = os.path.join(work, "full")
ckpt = os.path.join(work, "ckpt", "step-6.pt")
results = launch([CHECK, "resume", full, "10", "6", ckpt], 2)
check(all(r[0] == 0 for r in results), f"uninterrupted run with a checkpoint at step 6 exits 0: {[r[1][-300:] for r in results if r[0]]}")
resumed = os.path.join(work, "resumed")
results = launch([CHECK, "resume", resumed, "10", "6", ckpt], 2, extra_env={"CHOLINE_RESUME_FROM": ckpt})
check(all(r[0] == 0 for r in results), f"resumed run exits 0: {[r[1][-300:] for r in results if r[0]]}")
a, b = losses(full + ".rank0.loss"), losses(resumed + ".rank0.loss")
check(min(b) == 6, f"the resumed run starts at step 6 (got {min(b) if b else None})")
check(all(abs(a[s] - b[s]) < 1e-6 for s in b), f"losses after resume equal the uninterrupted run's: {[(s, a[s], b[s]) for s in sorted(b)][:3]}")

# 5: the example trainer on 2 ranks.
ckpt_dir = os.path.join(work, "fm-ckpt")
results = launch([TRAINER, "--epochs", "1", "--limit", "4000", "--test-limit", "1000"], 2,
                 extra_env={"CHOLINE_CKPT_DIR": ckpt_dir})
check(all(r[0] == 0 for r in results), f"fashion-mnist on 2 ranks exits 0: {[r[1][-300:] for r in results if r[0]]}")
text = results[0][1]
accuracy = float(text.split("test accuracy")[1].split()[0]) if "test accuracy" in text else 0.0
check(accuracy > 0.5, f"fashion-mnist reaches {accuracy:.3f} test accuracy after one short epoch (> 0.5; chance is 0.1)")
check(any(n.startswith("step-") for n in os.listdir(ckpt_dir)), "a checkpoint was written atomically")
check("choline-metrics: {" in text, "metrics lines go to stdout with their prefix")

print(f"{len(passed)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
