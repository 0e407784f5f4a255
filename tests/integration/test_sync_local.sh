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
echo "local sync: ok"
