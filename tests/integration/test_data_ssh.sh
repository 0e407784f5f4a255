# Data entries over the ssh provider (a real sshd on loopback): the first run sends the dataset
# into the host's cache; a second run on the same host sends no data bytes; a changed file sends
# about its delta, not the file; `choline data push --host` pre-stages a new version so the next
# run finds it cached; `choline data status` names the host and whether it holds this version.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sshd.sh"
make_project
PY=/usr/bin/python3
start_sshd node0; port0=$SSHD_PORT
mkdir -p "$PROJECT/data/small" "$PROJECT/data/bulk"
head -c 4000000 /dev/urandom >"$PROJECT/data/big.bin"
# About 200 MB in all: a changed file must cost about its delta, not a share of the dataset.
for i in $(seq 1 49); do head -c 4000000 /dev/urandom >"$PROJECT/data/bulk/part$i.bin"; done
for i in $(seq 1 20); do head -c 3000 /dev/urandom >"$PROJECT/data/small/f$i.bin"; done
printf 'data/\n.choline/\n' >"$PROJECT/.gitignore"
cat >"$PROJECT/check.py" <<'PY'
import hashlib, os, sys
with open(os.path.join(os.environ["CHOLINE_DATA_DIR"], "data/big.bin"), "rb") as f:
    print(f"rank {os.environ['RANK']} big {hashlib.sha256(f.read()).hexdigest()}", flush=True)
PY
cat >"$PROJECT/choline.json" <<JSON
{
  "provider": "ssh",
  "python": "/usr/bin/python3",
  "data": ["data"],
  "hosts": [
    {"host": "127.0.0.1", "port": $port0, "user": "$SSHD_USER", "identity": "$SSHD_KEY", "gpus": "1xcpu", "workdir": "$SCRATCH/remote0"}
  ]
}
JSON
sha() { sha256sum "$1" | cut -d' ' -f1; }
# staged RUN FIELD: the data_staged entry's field for data[0] in RUN's journal.
staged() { run_field "$1" "[e for ev in r['events'] if ev.get('type') == 'data_staged' for e in ev['entries']][0]['$2']"; }

expect_exit 0 "$CHOLINE" -C "$PROJECT" train check.py --1xcpu
contains "$OUT" "rank 0 big $(sha "$PROJECT/data/big.bin")"
contains "$ERR$OUT" "data[0] -> data"  # the entry's progress line
run1=$(latest_run)
[ "$(staged "$run1" action)" = sent ] || fail "the first run did not send the data"
[ "$(staged "$run1" bytes_literal)" -ge 4060000 ] || fail "the first run sent less than the dataset: $(staged "$run1" bytes_literal)"
ls -d "$SCRATCH"/remote0/data/tree-* >/dev/null || fail "no version in the host's cache"
# The project push did not carry the data a second time.
[ -L "$SCRATCH/remote0/runs/$run1/node0/project/data" ] || fail "data/ is not a link into the host's cache"

# Second run, same host, same data: no data bytes cross.
expect_exit 0 "$CHOLINE" -C "$PROJECT" train check.py --1xcpu
contains "$OUT" "rank 0 big $(sha "$PROJECT/data/big.bin")"
run2=$(latest_run)
[ "$(staged "$run2" action)" = cached ] || fail "the second run did not find the data cached"
[ "$(staged "$run2" bytes_sent)" = 0 ] || fail "the second run sent $(staged "$run2" bytes_sent) data bytes"

# 16 bytes change in the middle of one 4 MB file of the 200 MB: a delta against the cached
# version crosses.
printf 'CHANGED-16-BYTES' | dd of="$PROJECT/data/big.bin" bs=1 seek=2000000 conv=notrunc status=none
expect_exit 0 "$CHOLINE" -C "$PROJECT" train check.py --1xcpu
contains "$OUT" "rank 0 big $(sha "$PROJECT/data/big.bin")"
run3=$(latest_run)
[ "$(staged "$run3" action)" = sent ] || fail "the changed dataset was not sent"
[ "$(staged "$run3" files_sent)" = 1 ] || fail "more than the changed file moved: $(staged "$run3" files_sent)"
literal=$(staged "$run3" bytes_literal)
[ "$literal" -lt 200000 ] || fail "a 16-byte change sent $literal literal bytes (not a delta)"
[ "$(staged "$run3" bytes_sent)" -lt 400000 ] || fail "a 16-byte change put $(staged "$run3" bytes_sent) bytes on the wire"

# data status: the host holds this version.
expect_exit 0 "$CHOLINE" -C "$PROJECT" data status --json
echo "$OUT" >"$SCRATCH/status.json"
$PY - "$SCRATCH/status.json" "$SSHD_USER@127.0.0.1:$port0" <<'PYCHECK' || fail "data status --json: $OUT"
import json, sys
e = json.load(open(sys.argv[1]))["entries"][0]
assert e["key"] == "data[0]" and e["files"] == 70 and e["bytes"] == 200060000, e
assert [(h["host"], h["current"]) for h in e["hosts"]] == [(sys.argv[2], True)], e
PYCHECK

# Pre-staging: another change is pushed ahead of training; data status then says the host holds
# it, and the run finds it cached.
printf 'AGAIN' | dd of="$PROJECT/data/small/f3.bin" bs=1 seek=10 conv=notrunc status=none
expect_exit 0 "$CHOLINE" -C "$PROJECT" data status
contains "$OUT" "$SSHD_USER@127.0.0.1:$port0: another version"
expect_exit 0 "$CHOLINE" -C "$PROJECT" data push --host "127.0.0.1:$port0" --json
echo "$OUT" | $PY -c 'import json,sys; e=json.load(sys.stdin)["entries"][0]; assert e["action"] == "sent", e' ||
  fail "data push did not send the new version: $OUT"
expect_exit 0 "$CHOLINE" -C "$PROJECT" data status
contains "$OUT" "$SSHD_USER@127.0.0.1:$port0: this version, pre-staged by choline data push"
expect_exit 0 "$CHOLINE" -C "$PROJECT" train check.py --1xcpu
run4=$(latest_run)
[ "$(staged "$run4" action)" = cached ] || fail "the run did not find the pre-staged version"
echo "data over ssh: ok"
