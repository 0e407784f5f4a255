# A real OpenSSH sshd on 127.0.0.1 for tests: its own host key, authorized_keys and high port,
# started and stopped by the test. Sourced after lib.sh.
#   start_sshd NAME   -> sets SSHD_PORT, SSHD_KEY (client private key), SSHD_KNOWN_HOSTS
#                        (a known_hosts file with the host's real key), SSHD_USER

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_sshd() {
  local name="$1" dir="$SCRATCH/sshd-$1"
  mkdir -p "$dir" /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
  [ -f "$SCRATCH/client_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$SCRATCH/client_key"
  cp "$SCRATCH/client_key.pub" "$dir/authorized_keys"
  SSHD_PORT="$(free_port)"
  cat >"$dir/sshd_config" <<CONF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile $dir/sshd.pid
LogLevel ERROR
CONF
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" || fail "sshd did not start: $(cat "$dir/sshd.log")"
  local tries=0
  while [ ! -s "$dir/sshd.pid" ]; do
    tries=$((tries + 1)); [ $tries -lt 100 ] || fail "sshd wrote no pid file"; sleep 0.05
  done
  cleanup_hooks+=("kill \$(cat '$dir/sshd.pid') 2>/dev/null")
  SSHD_KEY="$SCRATCH/client_key"
  SSHD_USER="$(id -un)"
  SSHD_KNOWN_HOSTS="$dir/known_hosts"
  echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$dir/host_key.pub")" >"$SSHD_KNOWN_HOSTS"
  SSHD_DIR="$dir"
}
