#!/usr/bin/env python3
"""Tests of the runtime's sync strategies (ddp, local-sgd:H, diloco:H) with real ranks on loopback.

  1. the spec parser and the int8/bf16 codecs (error bounds) without a process group
  2. replicas are bit-identical after every outer step: 2 and 3 ranks, uncompressed, bf16, int8
  3. local-sgd:1 equals ddp to float tolerance (plain SGD, and SGD with momentum)
  4. a diloco run killed after a mid-round checkpoint and resumed reproduces the uninterrupted
     run's losses exactly (outer momentum, synchronized parameters, per-rank inner AdamW state)
  5. heterogeneous hosts: a time budget per round, a slowed rank takes fewer steps, replicas
     still end identical and the samples of all ranks are counted
  6. the Fashion-MNIST trainer takes --sync diloco and reports communication bytes per sample

Usage: test_sync.py DDP_CHECK FASHION_MNIST
"""
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

CHECK, TRAINER = sys.argv[1], sys.argv[2]
failures = []
passed = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    (passed if condition else failures).append(message)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def launch(argv, world, extra_env=None, timeout=300):
    """Starts `world` ranks with the torchrun environment; returns [(code, output, seconds)]."""
    port = free_port()
    procs = []
    started = time.monotonic()
    for rank in range(world):
        env = {k: v for k, v in os.environ.items() if k != "CHOLINE_SYNC"}  # only what a test sets
        env.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), LOCAL_WORLD_SIZE=str(world),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), OMP_NUM_THREADS="1", **(extra_env or {}))
        procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=timeout)
        results.append((p.returncode, out, time.monotonic() - started))
    return results


def floats(path):
    data = open(path, "rb").read()
    return struct.unpack(f"{len(data) // 4}f", data)


def losses(path):
    return {int(a): float(b) for a, b in (line.split() for line in open(path))}


work = tempfile.mkdtemp(prefix="choline-sync-")


def ok(results, what):
    check(all(r[0] == 0 for r in results), f"{what} exits 0: {[r[1][-400:] for r in results if r[0]]}")
    return all(r[0] == 0 for r in results)


def chunks(path, n):
    data = floats(path)
    return [data[i:i + n] for i in range(0, len(data), n)]


# 1: parser and codecs.
code, text, _ = launch([CHECK, "unit"], 1)[0]
print(text.strip())
check(code == 0, "parser and codec unit checks pass")

# 2: identical replicas after every outer step.
STEPS = 12
for world, spec, optimizer in [(2, "diloco:3", "momentum"), (2, "local-sgd:4", "momentum"),
                               (3, "diloco:3,compress=int8", "adamw"), (3, "diloco:4,compress=bf16,lr=0.5", "sgd"),
                               (3, "local-sgd:3,compress=int8", "sgd")]:
    out = os.path.join(work, f"rep-{world}-{spec.replace(':', '_').replace(',', '_').replace('=', '_')}")
    results = launch([CHECK, "train", out, str(STEPS), "8"], world, {"CHOLINE_SYNC": spec, "CHECK_OPTIMIZER": optimizer})
    if not ok(results, f"{world} ranks {spec}"):
        continue
    size = len(floats(out + ".rank0.params"))
    synced = [chunks(f"{out}.rank{r}.synced", size) for r in range(world)]
    h = int(re.match(r"\w[\w-]*:(\d+)", spec).group(1))
    check(len(synced[0]) == STEPS // h, f"{world} ranks {spec}: {len(synced[0])} outer steps in {STEPS} steps (want {STEPS // h})")
    check(all(s == synced[0] for s in synced[1:]), f"{world} ranks {spec}: replicas bit-identical after every outer step")
    check(synced[0][0] != synced[0][-1], f"{world} ranks {spec}: the parameters move between outer steps")

# 3: local-sgd:1 is ddp.
for optimizer in ("sgd", "momentum"):
    ref = os.path.join(work, f"ddp-{optimizer}")
    local = os.path.join(work, f"local1-{optimizer}")
    ok(launch([CHECK, "train", ref, "20", "8"], 2, {"CHECK_OPTIMIZER": optimizer}), f"ddp ({optimizer})")
    ok(launch([CHECK, "train", local, "20", "8"], 2, {"CHECK_OPTIMIZER": optimizer, "CHOLINE_SYNC": "local-sgd:1"}),
       f"local-sgd:1 ({optimizer})")
    a, b = floats(ref + ".rank0.params"), floats(local + ".rank0.params")
    worst = max(abs(x - y) for x, y in zip(a, b))
    check(len(a) == len(b) and worst < 1e-5, f"local-sgd:1 equals ddp after 20 steps ({optimizer}): max |diff| {worst:.2e}")

# 4: kill and resume mid-round.
env = {"CHOLINE_SYNC": "diloco:4,lr=0.7,momentum=0.9", "CHECK_OPTIMIZER": "adamw"}
full = os.path.join(work, "full")
ckpt = os.path.join(work, "ckpt", "step-6.pt")
ok(launch([CHECK, "resume", full, "14", "6", ckpt], 2, env), "uninterrupted diloco:4 run (checkpoint at step 6)")
killed = os.path.join(work, "killed")
ckpt2 = os.path.join(work, "ckpt2", "step-6.pt")
results = launch([CHECK, "resume", killed, "14", "6", ckpt2], 2, dict(env, CHECK_DIE_AT="9"), timeout=120)
check(results[1][0] == 9 and results[0][0] != 0, f"the killed run dies at step 9 (exits {[r[0] for r in results]})")
check(os.path.exists(ckpt2) and os.path.exists(ckpt2 + ".rank1"), "the checkpoint has rank 0's file and rank 1's part")
resumed = os.path.join(work, "resumed")
ok(launch([CHECK, "resume", resumed, "14", "6", ckpt2], 2, dict(env, CHOLINE_RESUME_FROM=ckpt2)), "resumed run")
a, b = losses(full + ".rank0.loss"), losses(resumed + ".rank0.loss")
check(b and min(b) == 6 and max(b) == 13, f"the resumed run covers steps 6..13 (got {sorted(b)[:1]}..{sorted(b)[-1:]})")
check(all(a[s] == b[s] for s in b), f"losses after resume equal the uninterrupted run's: {[(s, a[s], b[s]) for s in sorted(b)][:4]}")
check(floats(full + ".rank1.params") == floats(resumed + ".rank1.params"), "final parameters equal the uninterrupted run's")

# 5: heterogeneous hosts.
out = os.path.join(work, "hetero")
results = launch([CHECK, "hetero", out, "6000", "8"], 2, {"CHOLINE_SYNC": "diloco:0.25s", "CHECK_OPTIMIZER": "sgd"})
if ok(results, "time-budget diloco with a slow rank"):
    steps = [list(map(int, open(f"{out}.rank{r}.steps").read().split())) for r in range(2)]
    check(steps[0][0] > steps[1][0], f"the fast rank took more steps than the slow one: {steps[0][0]} vs {steps[1][0]}")
    check(steps[0][1] == steps[1][1] == 8 * (steps[0][0] + steps[1][0]) and steps[0][1] >= 6000,
          f"global samples count both ranks: {steps[0][1]} = 8 x ({steps[0][0]} + {steps[1][0]}) >= 6000")
    check(floats(out + ".rank0.params") == floats(out + ".rank1.params"), "time-budget replicas end bit-identical")

# 6: the example trainer with --sync.
results = launch([TRAINER, "--epochs", "2", "--limit", "4000", "--test-limit", "1000", "--sync", "diloco:10,lr=0.8,momentum=0.5"],
                 2, {"CHOLINE_CKPT_DIR": os.path.join(work, "fm-ckpt")})
if ok(results, "fashion-mnist --sync diloco:10 on 2 ranks"):
    text = results[0][1]
    accuracy = float(re.findall(r"test accuracy ([\d.]+)", text)[-1])
    check(accuracy > 0.5, f"fashion-mnist with diloco reaches {accuracy:.3f} test accuracy (> 0.5)")
    per_sample = re.findall(r'"comm_bytes_per_sample": ([\d.e+-]+)', text)
    check(bool(per_sample) and 0 < float(per_sample[-1]) < 20000,
          f"metrics report communication bytes per sample: {per_sample[-1:]} (ddp sends ~26,000)")

print(f"{len(passed)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
