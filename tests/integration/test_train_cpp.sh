# C++ training on choline's runtime under choline train: the prebuilt trainer, and the trainer
# built on the host from synced sources by the example's setup command (the GPU-host path).
source "$(dirname "$0")/lib.sh"
trainer="$(dirname "$CHOLINE")/runtime/fashion-mnist"
[ -x "$trainer" ] || { echo "the runtime was not built (no libtorch); skipped"; exit 77; }

# A project laid out like the repository: the example and the runtime's sources.
project="$SCRATCH/repo"
mkdir -p "$project/examples"
cp -r "$SOURCE_DIR/runtime" "$project/runtime"
cp -r "$SOURCE_DIR/examples/fashion-mnist" "$project/examples/fashion-mnist"
rm -rf "$project/examples/fashion-mnist/build-host"

expect_exit 0 "$CHOLINE" -C "$project" train --2xcpu -- "$trainer" --epochs 1 --limit 1000 --test-limit 200
contains "$OUT" "[0/0] epoch 0 done"

contains "$OUT" "test accuracy"
ls "$project"/.choline/runs/*/checkpoints/step-*.pt >/dev/null || fail "no checkpoint pulled back"

# The GPU-host path: setup builds the trainer against the host's libtorch, then it trains.
expect_exit 0 "$CHOLINE" -C "$project" --config "$project/examples/fashion-mnist/choline.json" train --2xcpu -- \
  examples/fashion-mnist/build-host/fashion-mnist --epochs 1 --limit 600 --test-limit 100
contains "$OUT" "[setup"
contains "$OUT" "test accuracy"
echo "C++ trainer under choline: ok"
