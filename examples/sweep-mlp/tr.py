#!/usr/bin/env python3
"""Fashion-MNIST MLP for sweeps: one trial of scripts/bench-sweep-stopping.

Hyperparameters arrive as `--name=value` flags (how `choline sweep` passes a trial's parameters,
W&B's convention). After each epoch the script prints one line

    choline-metrics: {"step": k, "epoch": k, "test_accuracy": ..., "cpu_s": ..., "loss": ...}

with k counted from 1, so early stopping's rungs (1, 3, 9 with ASHA's defaults) fall on whole
epochs. The same lines drive choline's stoppers and the Optuna side of the benchmark.

Small on purpose: a benchmark of early stopping needs many trials on a 2-core machine, so the
model is a two-hidden-layer MLP (an epoch of 30,000 images takes 3-15 s on one thread, where the
example CNN takes minutes) and no checkpoints are written (no arm resumes anything).
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def read_idx(path, limit):
    """The first `limit` items (0: all) of a gzip IDX file (the MNIST format)."""
    with gzip.open(path, "rb") as f:
        magic = f.read(4)
        dims = magic[3]
        shape = list(struct.unpack(">" + "I" * dims, f.read(4 * dims)))
        if limit:
            shape[0] = min(shape[0], limit)
        # Reading only what is used: decompressing all 60,000 images would cost every trial time.
        data = f.read(int(np.prod(shape)))
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def load_split(split, limit):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"), limit)
    labels = read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"), limit)
    x = torch.from_numpy(images.astype(np.float32) / 255.0).reshape(len(images), -1)
    x = (x - 0.2860) / 0.3530  # Fashion-MNIST mean and std
    return x, torch.from_numpy(labels.astype(np.int64))


class Mlp(nn.Module):
    def __init__(self, width, dropout):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, width)
        self.fc2 = nn.Linear(width, width)
        self.fc3 = nn.Linear(width, 10)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        x = self.dropout(F.relu(self.fc1(x)))
        x = self.dropout(F.relu(self.fc2(x)))
        return self.fc3(x)


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = (model(x).argmax(1) == y).sum().item()
    model.train()
    return correct / len(y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=0.05, help="SGD learning rate (momentum 0.9)")
    parser.add_argument("--width", type=int, default=256, help="units in each of the two hidden layers")
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--epochs", type=int, default=9)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--limit", type=int, default=30000, help="train on the first N images (0: all 60,000)")
    parser.add_argument("--test-limit", type=int, default=0, help="evaluate on the first N test images (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    # One thread: two trials share a 2-core machine, and torch's default (every core per
    # process) would have them fight over the cores.
    torch.set_num_threads(1)
    # A fixed seed: the same parameters train the same network in every arm of the benchmark,
    # so arms differ only in which trials they stop.
    torch.manual_seed(args.seed)
    train_x, train_y = load_split("train", args.limit)
    test_x, test_y = load_split("test", args.test_limit)
    model = Mlp(args.width, args.dropout)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    order = torch.Generator().manual_seed(args.seed)

    for epoch in range(1, args.epochs + 1):
        started, total_loss, batches = time.time(), 0.0, 0
        # Batches by indexing the tensors: a DataLoader would cost more than this model's steps.
        for index in torch.randperm(len(train_y), generator=order).split(args.batch_size):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(train_x[index]), train_y[index])
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
            batches += 1
        test_accuracy = accuracy(model, test_x, test_y)
        mean_loss = total_loss / max(1, batches)
        print(f"epoch {epoch}: loss {mean_loss:.4f}, test accuracy {test_accuracy:.4f}, "
              f"{time.time() - started:.1f} s", flush=True)
        # A diverged run's loss is NaN, which JSON cannot carry: it is left out. cpu_s (this
        # process's CPU time so far, from the interpreter's start) is what a benchmark on a shared
        # machine can compare where wall time depends on what else runs.
        metrics = {"step": epoch, "epoch": epoch, "test_accuracy": test_accuracy,
                   "cpu_s": round(time.process_time(), 3)}
        if math.isfinite(mean_loss):
            metrics["loss"] = mean_loss
        print("choline-metrics: " + json.dumps(metrics), flush=True)


if __name__ == "__main__":
    main()
