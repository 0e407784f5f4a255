# choline sync against a real OpenSSH sshd on loopback: push, pull, deltas, deletes, host keys.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sshd.sh"
start_sshd host1
remote="$SSHD_USER@127.0.0.1:$SSHD_PORT"
ssh_args=(-i "$SSHD_KEY" --known-hosts "$SSHD_KNOWN_HOSTS" --remote-choline "$CHOLINE")

# A source tree: small files, a larger binary, a symlink, an executable, an ignored file.
src="$SCRATCH/src"
mkdir -p "$src/pkg/sub" "$src/data"
for i in $(seq 1 50); do echo "file $i" >"$src/pkg/sub/f$i.txt"; done
head -c 3000000 /dev/urandom >"$src/data/blob.bin"
ln -s ../data/blob.bin "$src/pkg/blob-link"
printf '#!/bin/sh\necho run\n' >"$src/run.sh" && chmod 755 "$src/run.sh"
echo '*.tmp' >"$src/.gitignore" && echo junk >"$src/x.tmp"
find "$src" -exec touch -h -d '1 minute ago' {} +

# Push over SSH.
expect_exit 0 "$CHOLINE" sync "$src" "$remote:$SCRATCH/dst" --stats "${ssh_args[@]}"
contains "$OUT" '"files_transferred": 53'
diff -r --no-dereference --exclude=x.tmp "$src" "$SCRATCH/dst" || fail "push differs"
[ ! -e "$SCRATCH/dst/x.tmp" ] || fail "ignored file was pushed"
[ -x "$SCRATCH/dst/run.sh" ] || fail "executable bit lost"
[ "$(stat -c %Y "$src/data/blob.bin")" = "$(stat -c %Y "$SCRATCH/dst/data/blob.bin")" ] || fail "mtime not kept"

# Warm push: nothing moves.
expect_exit 0 "$CHOLINE" sync "$src" "$remote:$SCRATCH/dst" --stats "${ssh_args[@]}"
contains "$OUT" '"files_transferred": 0'

# A small change inside the big file travels as a delta.
printf 'CHANGED' | dd of="$src/data/blob.bin" bs=1 seek=1500000 conv=notrunc status=none
touch -d '30 seconds ago' "$src/data/blob.bin"
expect_exit 0 "$CHOLINE" sync "$src" "$remote:$SCRATCH/dst" --stats "${ssh_args[@]}"
contains "$OUT" '"files_transferred": 1'
sent=$(echo "$OUT" | sed 's/.*"bytes_sent": \([0-9]*\).*/\1/')
[ "$sent" -lt 100000 ] || fail "delta push sent $sent bytes"
cmp "$src/data/blob.bin" "$SCRATCH/dst/data/blob.bin" || fail "delta result differs"

# Pull back with --delete into a directory holding a stale file.
mkdir -p "$SCRATCH/back" && echo stale >"$SCRATCH/back/stale.txt"
expect_exit 0 "$CHOLINE" sync "$remote:$SCRATCH/dst" "$SCRATCH/back" --delete --stats "${ssh_args[@]}"
[ ! -e "$SCRATCH/back/stale.txt" ] || fail "--delete kept a stale file"
diff -r --no-dereference "$SCRATCH/dst" "$SCRATCH/back" || fail "pull differs"

# Without --remote-choline, a host with no choline on its PATH gets the embedded static agent,
# installed once by content hash under ~/.choline/agent, as `choline train` does.
expect_exit 0 "$CHOLINE" sync "$src" "$remote:$SCRATCH/fresh" -i "$SSHD_KEY" --known-hosts "$SSHD_KNOWN_HOSTS"
diff -r --no-dereference --exclude=x.tmp "$src" "$SCRATCH/fresh" || fail "push through the installed agent differs"
ls "$(eval echo "~$SSHD_USER")"/.choline/agent/choline-agent-* >/dev/null || fail "the agent was not installed on the host"
expect_exit 0 "$CHOLINE" sync "$remote:$SCRATCH/fresh" "$SCRATCH/fresh-back" -i "$SSHD_KEY" --known-hosts "$SSHD_KNOWN_HOSTS"
diff -r --no-dereference "$SCRATCH/fresh" "$SCRATCH/fresh-back" || fail "pull through the installed agent differs"

# A changed host key is a hard failure; an unknown host is pinned on first use.
echo "[127.0.0.1]:$SSHD_PORT ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOq2nJ2pqv0ZkV8DRbq3Z8GgJmtS6Fh5Yq6Hqfn+xkYz" >"$SCRATCH/wrong_known_hosts"
expect_exit 1 "$CHOLINE" sync "$src" "$remote:$SCRATCH/dst2" -i "$SSHD_KEY" --known-hosts "$SCRATCH/wrong_known_hosts" --remote-choline "$CHOLINE"
contains "$ERR" "differs from the one pinned"
[ ! -e "$SCRATCH/dst2" ] || fail "synced despite a changed host key"
expect_exit 0 "$CHOLINE" sync "$src" "$remote:$SCRATCH/dst3" -i "$SSHD_KEY" --known-hosts "$SCRATCH/new_known_hosts" --remote-choline "$CHOLINE"
grep -q "$SSHD_PORT" "$SCRATCH/new_known_hosts" || fail "host key was not pinned"

# A refused key and an unreachable host are clear errors.
ssh-keygen -q -t ed25519 -N '' -f "$SCRATCH/other_key"
expect_exit 1 "$CHOLINE" sync "$src" "$remote:$SCRATCH/dst4" -i "$SCRATCH/other_key" --known-hosts "$SSHD_KNOWN_HOSTS"
contains "$ERR" "refused the key"
expect_exit 1 "$CHOLINE" sync "$src" "$SSHD_USER@127.0.0.1:$(free_port):$SCRATCH/dst5" -i "$SSHD_KEY" --known-hosts "$SSHD_KNOWN_HOSTS"
contains "$ERR" "cannot connect"

# The private key never appears in anything choline printed.
key_body=$(sed -n 2p "$SSHD_KEY")
expect_exit 0 "$CHOLINE" -v sync "$src" "$remote:$SCRATCH/dst" "${ssh_args[@]}"
case "$OUT$ERR" in *"$key_body"*) fail "private key material in output" ;; esac
echo "sync over ssh: ok"
