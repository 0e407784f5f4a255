# The embedded static agent runs on an older distribution: a Debian bullseye root (glibc 2.31)
# made with debootstrap from this machine's configured mirror, cached in the build tree.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root for debootstrap and chroot; skipped"; exit 77; }

# The extracted agent is a static executable.
expect_exit 0 "$CHOLINE" agent extract "$SCRATCH/agent"
contains "$(file "$SCRATCH/agent")" "statically linked"

# The mirror this machine's apt uses (deb822 sources or a classic sources.list line).
debian_mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1)
  [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -v security | head -1)
  echo "$uri"
}
root="$(dirname "$CHOLINE")/bullseye-root"
if [ ! -x "$root/bin/sh" ]; then
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || fail "no Debian mirror found in the apt sources"
  rm -rf "$root.tmp"
  debootstrap --variant=minbase bullseye "$root.tmp" "$mirror" >"$SCRATCH/debootstrap.log" 2>&1 ||
    fail "debootstrap failed: $(tail -5 "$SCRATCH/debootstrap.log")"
  mv "$root.tmp" "$root"
fi
contains "$(chroot "$root" ldd --version 2>&1 | head -1)" "2.31"

# The dynamic choline cannot start there; the agent can.
cp "$CHOLINE" "$root/tmp/choline-dynamic"
expect_exit 127 chroot "$root" /tmp/choline-dynamic --version
rm -f "$root/tmp/choline-dynamic"
cp "$SCRATCH/agent" "$root/usr/local/bin/choline-agent"
expect_exit 0 chroot "$root" /usr/local/bin/choline-agent --version
contains "$OUT" "choline"

# Its sync receiver takes a push through the local transport wrapped in chroot.
mkdir -p "$SCRATCH/src/sub"
echo "hello bullseye" >"$SCRATCH/src/sub/a.txt"
head -c 300000 /dev/urandom >"$SCRATCH/src/blob.bin"
rm -rf "$root/work"
expect_exit 0 "$CHOLINE" sync "$SCRATCH/src" /work/project --wrap "chroot $root" --agent /usr/local/bin/choline-agent --stats
contains "$OUT" '"files_transferred": 2'
cmp "$SCRATCH/src/blob.bin" "$root/work/project/blob.bin" || fail "pushed file differs"
diff -r "$SCRATCH/src" "$root/work/project" || fail "pushed tree differs"

# Its supervisor runs workers and streams their output back.
echo '{"run_id":"r","attempt":1,"node_rank":0,"nodes":1,"slots":2,"master_addr":"127.0.0.1","master_port":29999,"command":["sh","-c","echo hello from rank $RANK of $WORLD_SIZE"]}' |
  chroot "$root" /usr/local/bin/choline-agent agent launch --root /work >"$SCRATCH/pid"
chroot "$root" /usr/local/bin/choline-agent agent logs --root /work --follow >"$SCRATCH/frames"
grep -aq "hello from rank 0 of 2" "$SCRATCH/frames" || fail "rank 0 output not streamed"
grep -aq "hello from rank 1 of 2" "$SCRATCH/frames" || fail "rank 1 output not streamed"
grep -aq '"status":"succeeded"' "$SCRATCH/frames" || fail "final state not streamed"
echo "static agent on bullseye: ok"
