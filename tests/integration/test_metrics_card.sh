# choline metrics, model cards and choline report on real runs of the local provider: the
# metrics table, chart and --json match metrics.jsonl; every pulled checkpoint has a card with
# the run, the git state, choline.json, data fingerprints and its metrics; a checkpoint copied
# elsewhere is traced back (with its card, or by checksum) and a changed copy is refused; a
# project that is not a git repository gets nulls; a run without metrics says how to emit them.
source "$(dirname "$0")/lib.sh"
make_project
mkdir -p "$PROJECT/data"
printf 'label,image\n0,a.png\n' >"$PROJECT/data/labels.csv"
cat >"$PROJECT/choline.json" <<'JSON'
{
  "data": ["data"],
  "purpose": "Fashion-MNIST classifier for the metrics test",
  "preprocessing": "normalized with mean 0.2860 and std 0.3530"
}
JSON
have_git=0
if command -v git >/dev/null; then
  have_git=1
  printf '.choline/\n' >"$PROJECT/.gitignore"
  git -C "$PROJECT" init -q
  git -C "$PROJECT" add -A
  git -C "$PROJECT" -c user.email=t@example.com -c user.name=t commit -q -m "the project"
  echo "# an uncommitted edit" >>"$PROJECT/lines.py"  # the pushed tree is dirty
fi

expect_exit 0 "$CHOLINE" -C "$PROJECT" train tr.py --2xcpu --epochs 2 --limit 2000 --test-limit 500 --batch-size 16
run=$(latest_run)
dir="$PROJECT/.choline/runs/$run"

# The live view shows training, not choline's protocol: the workers' choline-metrics: lines went
# to metrics.jsonl (checked below) and to the rank files, and show on request only.
contains "$OUT" "[0/0]"
lacks "$OUT" "choline-metrics:"
grep -q '^choline-metrics: {' "$dir/logs/rank-0.log" || fail "rank 0's log file lost its metrics lines"
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$run"
lacks "$OUT" "choline-metrics:"
expect_exit 0 "$CHOLINE" -C "$PROJECT" logs "$run" --metrics
contains "$OUT" "[0/0] choline-metrics: {"

# metrics: the latest values, a chart of the loss, and --json equal to metrics.jsonl.
expect_exit 0 "$CHOLINE" -C "$PROJECT" metrics "$run"
contains "$OUT" "METRIC"
contains "$OUT" "test_accuracy"
contains "$OUT" "loss over steps"
contains "$OUT" "* attempt 1"
expect_exit 0 "$CHOLINE" -C "$PROJECT" metrics "$run" --json
echo "$OUT" >"$SCRATCH/metrics.json"
/usr/bin/python3 - "$SCRATCH/metrics.json" "$dir/metrics.jsonl" <<'PY' || fail "metrics --json does not match metrics.jsonl"
import json, sys
out = json.load(open(sys.argv[1]))
lines = [json.loads(l) for l in open(sys.argv[2])]
assert out["points"] == lines, "history differs"
assert out["loss_metric"] == "loss"
last_loss = [p for p in lines if "loss" in p][-1]
assert out["latest"]["loss"]["value"] == last_loss["loss"] and out["latest"]["loss"]["step"] == last_loss["step"]
assert out["attempts"] == [{"attempt": 1, "first_step": lines[0]["step"], "last_step": lines[-1]["step"], "points": len(lines)}]
PY

# Model cards beside every checkpoint, checked against the run record, git and metrics.jsonl.
for ckpt in epoch-0000.pt epoch-0001.pt; do
  [ -s "$dir/checkpoints/$ckpt.card.json" ] || fail "no model card beside $ckpt"
done
[ "$(run_field "$run" 'r["attempts"][0]["resume_from"]')" = "" ] || fail "unexpected resume"
/usr/bin/python3 - "$dir" "$run" "$PROJECT" "$have_git" "$(git -C "$PROJECT" rev-parse HEAD 2>/dev/null || true)" <<'PY' || fail "model card check failed"
import json, sys
dir, run, project, have_git, head = sys.argv[1:6]
lines = [json.loads(l) for l in open(dir + "/metrics.jsonl")]
checkpoints = {e["name"]: e for e in json.load(open(dir + "/checkpoints.json"))}
for epoch in (0, 1):
    name = f"epoch-{epoch:04d}.pt"
    card = json.load(open(f"{dir}/checkpoints/{name}.card.json"))
    assert card["schema"] == "choline-model-card/1"
    assert card["run"]["id"] == run and card["run"]["attempt"] == 1
    assert card["run"]["project_dir"].rstrip("/") == project
    assert card["checkpoint"]["xxh3"] == checkpoints[name]["xxh3"] and card["checkpoint"]["size"] == checkpoints[name]["size"]
    assert card["entry"] == "tr.py" and card["arguments"][:2] == ["--epochs", "2"], card["arguments"]
    assert card["purpose"].startswith("Fashion-MNIST") and card["preprocessing"].startswith("normalized")
    assert card["config"]["purpose"] == card["purpose"]
    data = {d["key"]: d for d in card["data"]}
    # The hash the host's data cache names the version by.
    assert data["data[0]"]["kind"] == "directory" and data["data[0]"]["method"] == "tree-xxh3", data
    assert data["data[0]"]["id"] == "tree-" + data["data[0]"]["fingerprint"] and len(data["data[0]"]["fingerprint"]) == 32
    assert data["data[0]"]["files"] == 1 and data["data[0]"]["path"] == project + "/data", data
    if have_git == "1":
        assert card["code"]["commit"] == head, (card["code"], head)
        assert card["code"]["dirty"] is True and len(card["code"]["diff_xxh3"]) == 32
    # The metrics of the checkpoint's epoch: its last step, with the test accuracy of that epoch.
    last = [p for p in lines if p.get("epoch") == epoch][-1]
    assert card["metrics"]["step"] == last["step"], (card["metrics"], last)
    assert card["metrics"]["values"]["test_accuracy"] == last["test_accuracy"]
    assert card["hardware"]["provider"] == "local" and card["hardware"]["workers"] == 2
PY

expect_exit 0 "$CHOLINE" -C "$PROJECT" card "$dir/checkpoints/epoch-0001.pt"
contains "$OUT" "run            $run, attempt 1"
contains "$OUT" "purpose        Fashion-MNIST classifier"
contains "$OUT" "verified"
[ "$have_git" = 0 ] || contains "$OUT" "dirty (diff xxh3"

# A copy elsewhere, with its card: traced back from anywhere, even outside the project.
mkdir -p "$SCRATCH/shipped" "$SCRATCH/elsewhere"
cp "$dir/checkpoints/epoch-0001.pt" "$SCRATCH/shipped/model.pt"
cp "$dir/checkpoints/epoch-0001.pt.card.json" "$SCRATCH/shipped/model.pt.card.json"
expect_exit 0 "$CHOLINE" -C "$SCRATCH/elsewhere" card "$SCRATCH/shipped/model.pt"
contains "$OUT" "$run"
contains "$OUT" "verified"
expect_exit 0 "$CHOLINE" -C "$SCRATCH/elsewhere" card "$SCRATCH/shipped/model.pt" --json
[ "$(echo "$OUT" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["id"])')" = "$run" ] || fail "card --json"
# Without its card: the project recognises it by checksum; elsewhere nothing does.
cp "$dir/checkpoints/epoch-0000.pt" "$SCRATCH/elsewhere/lonely.pt"
expect_exit 0 "$CHOLINE" -C "$PROJECT" card "$SCRATCH/elsewhere/lonely.pt"
contains "$OUT" "by its checksum, in run $run"
contains "$OUT" "step 62 (epoch in the file name)"
expect_exit 1 "$CHOLINE" -C "$SCRATCH/elsewhere" card "$SCRATCH/elsewhere/lonely.pt"
contains "$ERR" "no model card"
# A changed copy is not the checkpoint its card describes.
echo "tampered" >>"$SCRATCH/shipped/model.pt"
expect_exit 1 "$CHOLINE" -C "$SCRATCH/elsewhere" card "$SCRATCH/shipped/model.pt"
contains "$ERR" "is not the checkpoint this card describes"

# A project that is not a git repository, a command that is not Python, a step in the name,
# and a host that tries to send a card of its own (cards are the laptop's; it is not pulled).
mkdir -p "$SCRATCH/plain"
expect_exit 0 "$CHOLINE" -C "$SCRATCH/plain" train --1xcpu -- sh -c \
  'mkdir -p "$CHOLINE_CKPT_DIR" && echo weights >"$CHOLINE_CKPT_DIR/step-3.pt" &&
   echo "{\"run\": {\"id\": \"forged\"}}" >"$CHOLINE_CKPT_DIR/step-3.pt.card.json" &&
   echo "{\"run\": {\"id\": \"forged\"}}" >"$CHOLINE_CKPT_DIR/other.card.json" &&
   echo "choline-metrics: {\"step\": 3, \"loss\": 0.5}"'
plain_run=$("$CHOLINE" -C "$SCRATCH/plain" status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
card="$SCRATCH/plain/.choline/runs/$plain_run/checkpoints/step-3.pt.card.json"
/usr/bin/python3 - "$card" <<'PY' || fail "the plain project's card"
import json, sys
card = json.load(open(sys.argv[1]))
assert all(card["code"][k] is None for k in ("root", "commit", "dirty", "diff_xxh3")), card["code"]
assert card["config"] is None and card["data"] == [] and card["purpose"] is None
assert card["metrics"] == {"step": 3, "basis": "step in the file name", "values": {"loss": 0.5}}, card["metrics"]
assert card["entry"] is None
assert card["schema"] == "choline-model-card/1" and card["run"]["id"] != "forged"
PY
[ ! -e "$SCRATCH/plain/.choline/runs/$plain_run/checkpoints/other.card.json" ] || fail "a host's card was pulled"
expect_exit 0 "$CHOLINE" -C "$SCRATCH/plain" card step-3.pt
contains "$OUT" "not a git repository"

# A run without metrics says how to report them; its report says so too.
expect_exit 0 "$CHOLINE" -C "$SCRATCH/plain" train --1xcpu -- sh -c 'echo no metrics here'
expect_exit 0 "$CHOLINE" -C "$SCRATCH/plain" metrics
contains "$OUT" "has no metrics yet"
contains "$OUT" "choline-metrics: "

# The report: one file, nothing to load; --open without xdg-open prints where it is.
expect_exit 0 "$CHOLINE" -C "$PROJECT" report "$run" -o "$SCRATCH/report.html"
[ "$OUT" = "$SCRATCH/report.html" ] || fail "report printed '$OUT'"
html="$(cat "$SCRATCH/report.html")"
contains "$html" 'data-metric="loss"'
contains "$html" "epoch-0001.pt.card.json"
case "$html" in *"<script"*|*"<link"*|*"src=\"http"*) fail "the report loads or runs something" ;; esac
expect_exit 0 env PATH=/nonexistent "$CHOLINE" -C "$PROJECT" report "$run" --open
[ "$OUT" = "$dir/report.html" ] || fail "report --open without xdg-open printed '$OUT'"
[ -s "$dir/report.html" ] || fail "no report in the run's directory"
echo "metrics, cards and report: ok"
