# choline sync between local directories (the local pipe transport and the agent receiver).
source "$(dirname "$0")/lib.sh"
mkdir -p "$SCRATCH/a/b"
echo one >"$SCRATCH/a/b/one.txt"
head -c 200000 /dev/urandom >"$SCRATCH/a/bin"
expect_exit 0 "$CHOLINE" sync "$SCRATCH/a" "$SCRATCH/c" --stats
contains "$OUT" '"files_transferred": 2'
diff -r "$SCRATCH/a" "$SCRATCH/c" || fail "local sync differs"
expect_exit 2 "$CHOLINE" sync "$SCRATCH/a" "h1:/x" "h2:/y"
expect_exit 2 "$CHOLINE" sync "h1:/x" "h2:/y"
contains "$ERR" "both SRC and DEST are remote"
expect_exit 1 "$CHOLINE" sync "$SCRATCH/missing" "$SCRATCH/c"
contains "$ERR" "missing"

# Ctrl-C in the middle of a transfer: exit 130, no partial file in place, no temp file left.
mkdir -p "$SCRATCH/big"
head -c 1500M /dev/zero >"$SCRATCH/big/zeros.bin"
"$CHOLINE" sync "$SCRATCH/big" "$SCRATCH/big-dst" >"$SCRATCH/int.out" 2>&1 &
sync_pid=$!
for _ in $(seq 1 200); do ls "$SCRATCH/big-dst"/.choline-tmp-* >/dev/null 2>&1 && break; sleep 0.02; done
kill -INT "$sync_pid"
set +e; wait "$sync_pid"; code=$?; set -e
[ "$code" = 130 ] || fail "interrupted sync exited $code, expected 130: $(cat "$SCRATCH/int.out")"
[ ! -e "$SCRATCH/big-dst/zeros.bin" ] || fail "a partial file was left in place"
! ls "$SCRATCH/big-dst"/.choline-tmp-* >/dev/null 2>&1 || fail "a temp file was left behind"
rm -rf "$SCRATCH/big" "$SCRATCH/big-dst"
echo "local sync: ok"
