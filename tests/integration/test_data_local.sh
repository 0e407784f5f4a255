# Data entries reach the workers of a run (local provider): a gitignored data/ named in "data",
# and a dataset outside the project at its `to` path. Each lands once in the host's data cache and
# is linked into the run's working directory; the project push leaves it alone; run.json says
# what each host got; the model card's fingerprint is the cache's id; `choline data status` shows
# the host holding it. A missing path fails before anything is rented.
source "$(dirname "$0")/lib.sh"
make_project
PY=/usr/bin/python3
mkdir -p "$PROJECT/data/sub" "$SCRATCH/outside/fm/sub"
printf 'a,b\n1,2\n' >"$PROJECT/data/train.csv"
head -c 200000 /dev/urandom >"$PROJECT/data/sub/big.bin"
head -c 50000 /dev/urandom >"$SCRATCH/outside/fm/images.bin"
printf 'labels\n' >"$SCRATCH/outside/fm/sub/labels.txt"
printf 'data/\n.choline/\n' >"$PROJECT/.gitignore"
cat >"$PROJECT/check.py" <<'PY'
import hashlib, os, sys
root = os.environ["CHOLINE_DATA_DIR"]
for rel in sys.argv[1:]:
    with open(os.path.join(root, rel), "rb") as f:
        print(f"rank {os.environ['RANK']} {rel} {hashlib.sha256(f.read()).hexdigest()}", flush=True)
PY
cat >"$PROJECT/choline.json" <<JSON
{"python": "/usr/bin/python3", "data": ["data", {"path": "$SCRATCH/outside/fm", "to": "datasets/fm"}]}
JSON
sha() { sha256sum "$1" | cut -d' ' -f1; }

files="data/train.csv data/sub/big.bin datasets/fm/images.bin datasets/fm/sub/labels.txt"
expect_exit 0 "$CHOLINE" -C "$PROJECT" train check.py --2xcpu -- $files
for rank in 0 1; do
  contains "$OUT" "rank $rank data/train.csv $(sha "$PROJECT/data/train.csv")"
  contains "$OUT" "rank $rank data/sub/big.bin $(sha "$PROJECT/data/sub/big.bin")"
  contains "$OUT" "rank $rank datasets/fm/images.bin $(sha "$SCRATCH/outside/fm/images.bin")"
  contains "$OUT" "rank $rank datasets/fm/sub/labels.txt $(sha "$SCRATCH/outside/fm/sub/labels.txt")"
done
run=$(latest_run)
dir="$PROJECT/.choline/runs/$run"
root=$(run_field "$run" 'r["hosts"][0]["root"]')
# Linked from the cache, read-only; not pushed as project files.
[ -L "$root/project/data" ] || fail "data/ is not a link into the cache on the host"
[ -L "$root/project/datasets/fm" ] || fail "datasets/fm is not a link into the cache on the host"
ls -d "$CHOLINE_HOME"/data/tree-* >/dev/null || fail "no version in the host's data cache: $(ls -a "$CHOLINE_HOME")"
case "$(stat -L -c %A "$root/project/data/train.csv")" in *w*) fail "the cached data is writable" ;; esac

# run.json: what the host got; the model card's fingerprints are the cache's ids.
$PY - "$dir/run.json" "$dir/provenance/attempt-1.json" "$CHOLINE_HOME/data" <<'PYCHECK' || fail "journal or provenance check failed"
import json, os, sys
run = json.load(open(sys.argv[1]))
staged = [e for e in run["events"] if e.get("type") == "data_staged"]
assert len(staged) == 1, staged
entries = staged[0]["entries"]
assert [e["key"] for e in entries] == ["data[0]", "data[1]"], entries
assert all(e["action"] == "sent" for e in entries), entries
assert entries[0]["files"] == 2 and entries[0]["bytes"] == 200000 + 8, entries[0]
prov = json.load(open(sys.argv[2]))["data"]
assert [p["id"] for p in prov] == [e["id"] for e in entries], (prov, entries)
for p in prov:
    assert p["method"] == "tree-xxh3" and p["id"] == "tree-" + p["fingerprint"], p
    assert os.path.isdir(os.path.join(sys.argv[3], p["id"])), p["id"]
assert prov[1]["to"] == "datasets/fm" and prov[1]["kind"] == "directory"
PYCHECK

# The cards beside the checkpoints say so too (no checkpoints here: check.py writes none), and
# `choline data status` lists the entries and the host that holds them.
expect_exit 0 "$CHOLINE" -C "$PROJECT" data status --json
echo "$OUT" >"$SCRATCH/status.json"
host="this machine (local provider)"  # every local host shares one cache
$PY - "$SCRATCH/status.json" "$host" <<'PYCHECK' || fail "data status --json: $OUT"
import json, sys
status = json.load(open(sys.argv[1]))["entries"]
assert [e["key"] for e in status] == ["data[0]", "data[1]"]
for e in status:
    assert [h["host"] for h in e["hosts"]] == [sys.argv[2]] and e["hosts"][0]["current"], e
PYCHECK
expect_exit 0 "$CHOLINE" -C "$PROJECT" data status
contains "$OUT" "data[1]  $SCRATCH/outside/fm -> datasets/fm"
contains "$OUT" "$host: this version"

# A second run on this machine's cache sends nothing.
expect_exit 0 "$CHOLINE" -C "$PROJECT" train check.py --1xcpu -- data/train.csv
run2=$(latest_run)
[ "$(run_field "$run2" '",".join(e["action"] for ev in r["events"] if ev.get("type") == "data_staged" for e in ev["entries"])')" = "cached,cached" ] ||
  fail "the second run did not find the data cached"

# A path that is not there: a usage error naming the entry, before any host is taken.
cat >"$PROJECT/choline.json" <<JSON
{"python": "/usr/bin/python3", "data": ["data", "not/here"]}
JSON
expect_exit 2 "$CHOLINE" -C "$PROJECT" train check.py --1xcpu
contains "$ERR" "data[1]"
contains "$ERR" "not/here"
run3=$(latest_run)
[ "$(run_field "$run3" 'len(r["hosts"])')" = 0 ] || fail "a host was taken for a run whose data is missing"
[ "$(run_field "$run3" 'r["state"]')" = failed ] || fail "the run is not recorded as failed"
echo "data over the local provider: ok"
