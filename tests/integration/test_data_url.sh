# URL data entries in runs (local provider, a local HTTP server): the host downloads, verifies and
# unpacks the archive, and the workers read it at its `to` path; the model card's fingerprint is the
# sha256. A wrong sha256 and a 404 each fail the run's preparation with a message naming the entry
# and leave no cache entry; nothing is launched.
source "$(dirname "$0")/lib.sh"
make_project
PY=/usr/bin/python3
command -v curl >/dev/null || command -v wget >/dev/null || { echo "skip: no curl or wget"; exit 77; }
WWW="$SCRATCH/www"
mkdir -p "$WWW" "$SCRATCH/src/train"
head -c 100000 /dev/urandom >"$SCRATCH/src/train/images.bin"
printf 'x,y\n' >"$SCRATCH/src/train/labels.csv"
tar -C "$SCRATCH/src" -czf "$WWW/train.tar.gz" train
$PY "$SOURCE_DIR/tests/integration/data_http_server.py" "$WWW" "$SCRATCH/port" "$SCRATCH/requests.log" &
server_pid=$!
cleanup_hooks+=("kill $server_pid")
for _ in $(seq 1 100); do [ -s "$SCRATCH/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$SCRATCH/port")"
sha() { sha256sum "$1" | cut -d' ' -f1; }
GOOD=$(sha "$WWW/train.tar.gz")
WRONG=$(printf '%064d' 0)
cat >"$PROJECT/check.py" <<'PY'
import hashlib, os, sys
path = os.path.join(os.environ["CHOLINE_DATA_DIR"], sys.argv[1])
with open(path, "rb") as f:
    print(f"rank {os.environ['RANK']} {sys.argv[1]} {hashlib.sha256(f.read()).hexdigest()}", flush=True)
PY
config() {  # config URL SHA
  cat >"$PROJECT/choline.json" <<JSON
{"python": "/usr/bin/python3", "data": [{"url": "$1", "sha256": "$2", "to": "inputs/train", "extract": true}]}
JSON
}
CACHE="$CHOLINE_HOME/data"
no_entry() {
  ! ls -d "$CACHE"/.stage-* >/dev/null 2>&1 || fail "a stage was left in the cache: $(ls -a "$CACHE")"
  [ ! -e "$CACHE/sha256-$1-extracted" ] || fail "a failed download left a cache entry"
}

# A wrong sha256: the run fails in preparation, naming the entry and both hashes; nothing cached.
config "$URL/train.tar.gz" "$WRONG"
expect_exit 1 "$CHOLINE" -C "$PROJECT" train check.py --1xcpu -- inputs/train/train/labels.csv
contains "$ERR$OUT" "data[0] ($URL/train.tar.gz)"
contains "$ERR$OUT" "its sha256 is $GOOD"
no_entry "$WRONG"
run=$(latest_run)
[ "$(run_field "$run" 'r["state"]')" = failed ] || fail "the run is not recorded as failed"
[ "$(run_field "$run" 'len(r["attempts"])')" = 0 ] || fail "an attempt was launched on unverified data"
[ "$(run_field "$run" 'all(h["state"] == "released" for h in r["hosts"])')" = True ] || fail "a host was kept"

# A 404: the same, with the server's answer.
config "$URL/no-such.tar.gz" "$GOOD"
expect_exit 1 "$CHOLINE" -C "$PROJECT" train check.py --1xcpu -- inputs/train/train/labels.csv
contains "$ERR$OUT" "data[0] ($URL/no-such.tar.gz)"
contains "$ERR$OUT" "HTTP 404"
no_entry "$GOOD"

# The right archive: downloaded once by the host, unpacked, read by every worker.
config "$URL/train.tar.gz" "$GOOD"
expect_exit 0 "$CHOLINE" -C "$PROJECT" train check.py --2xcpu -- inputs/train/train/images.bin
for rank in 0 1; do contains "$OUT" "rank $rank inputs/train/train/images.bin $(sha "$SCRATCH/src/train/images.bin")"; done
run=$(latest_run)
[ -d "$CACHE/sha256-$GOOD-extracted" ] || fail "no cache entry for the archive: $(ls -a "$CACHE")"
[ "$(run_field "$run" '[e for ev in r["events"] if ev.get("type") == "data_staged" for e in ev["entries"]][0]["action"]')" = downloaded ] ||
  fail "the entry was not downloaded by the host"
$PY - "$PROJECT/.choline/runs/$run/provenance/attempt-1.json" "$GOOD" <<'PYCHECK' || fail "provenance of the url entry"
import json, sys
d = json.load(open(sys.argv[1]))["data"][0]
assert d["method"] == "sha256" and d["fingerprint"] == sys.argv[2] and d["kind"] == "url", d
assert d["files"] == 2, d
PYCHECK
echo "url data in runs: ok"
