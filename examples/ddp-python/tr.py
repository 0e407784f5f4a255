#!/usr/bin/env python3
"""Fashion-MNIST CNN with PyTorch DistributedDataParallel.

A standard DDP script: it reads only torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, ...),
so it runs unmodified under `torchrun --nproc_per_node 2 tr.py` and under
`choline train tr.py --2xcpu`. choline adds two optional variables that any script can honour:
CHOLINE_CKPT_DIR (where to write checkpoints; they are pulled back while training runs) and
CHOLINE_RESUME_FROM (the checkpoint to continue from after a restart on a new host).
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def read_idx(path):
    """Reads a gzip IDX file (the MNIST format) into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_split(split, limit):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    if limit:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    x = (x - 0.2860) / 0.3530  # Fashion-MNIST mean and std
    return TensorDataset(x, torch.from_numpy(labels.astype(np.int64)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def save_checkpoint(ckpt_dir, state, epoch):
    """Atomic: a reader (or choline's pull) sees a whole checkpoint or none."""
    os.makedirs(ckpt_dir, exist_ok=True)
    final = os.path.join(ckpt_dir, f"epoch-{epoch:04d}.pt")
    temp = final + ".tmp"
    with open(temp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, final)
    return final


def latest_checkpoint(ckpt_dir):
    if not os.path.isdir(ckpt_dir):
        return None
    names = sorted(n for n in os.listdir(ckpt_dir) if n.startswith("epoch-") and n.endswith(".pt"))
    return os.path.join(ckpt_dir, names[-1]) if names else None


def evaluate(model, dataset):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in DataLoader(dataset, batch_size=1000):
            correct += (model(x).argmax(1) == y).sum().item()
    model.train()
    return correct / len(dataset)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N training images (0: all)")
    parser.add_argument("--test-limit", type=int, default=0, help="evaluate on the first N test images (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crash-once-at-epoch", type=int, default=-1,
                        help="testing aid: the last rank exits 3 at the start of this epoch on the first attempt")
    args = parser.parse_args()

    dist.init_process_group("gloo", init_method="env://")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)
    ckpt_dir = os.environ.get("CHOLINE_CKPT_DIR", "checkpoints")

    model = DistributedDataParallel(Net())
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    train = load_split("train", args.limit)
    sampler = DistributedSampler(train, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler)

    # torchrun restarts a whole gang on failure and expects scripts to load their latest
    # checkpoint; choline names it explicitly when a run moves to a new host.
    resume_from = os.environ.get("CHOLINE_RESUME_FROM") or latest_checkpoint(ckpt_dir)
    start_epoch = 0
    if resume_from:
        state = torch.load(resume_from, map_location="cpu")
        model.module.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch = state["epoch"] + 1
        if rank == 0:
            print(f"resumed from {resume_from} at epoch {start_epoch}", flush=True)

    first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
    for epoch in range(start_epoch, args.epochs):
        if epoch == args.crash_once_at_epoch and first_attempt and rank == world - 1:
            print(f"rank {rank} crashing at epoch {epoch} as asked", flush=True)
            os._exit(3)
        sampler.set_epoch(epoch)
        started, seen, total_loss = time.time(), 0, 0.0
        for step, (x, y) in enumerate(loader):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            seen += len(x)
            total_loss += loss.item()
            global_step = epoch * len(loader) + step
            if step % 100 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}", flush=True)
            if rank == 0 and global_step % 20 == 0:
                # choline's metrics convention: one JSON object per line with this prefix; choline
                # merges them across restarts into .choline/runs/<run>/metrics.jsonl.
                print("choline-metrics: " + json.dumps({"step": global_step, "epoch": epoch, "loss": loss.item()}),
                      flush=True)
        elapsed = time.time() - started
        print(f"epoch {epoch} done: mean loss {total_loss / max(1, step + 1):.4f}, "
              f"{seen * world / elapsed:.0f} samples/s", flush=True)
        if rank == 0:
            state = {"model": model.module.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}
            path = save_checkpoint(ckpt_dir, state, epoch)
            accuracy = evaluate(model.module, load_split("test", args.test_limit))
            print(f"epoch {epoch} test accuracy {accuracy:.4f}, checkpoint {path}", flush=True)
            # At the epoch's last step: choline merges it with that step's other values.
            print("choline-metrics: " + json.dumps({"step": (epoch + 1) * len(loader) - 1, "epoch": epoch,
                                                    "test_accuracy": accuracy}), flush=True)
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
