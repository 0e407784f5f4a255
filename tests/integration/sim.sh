# Provider simulators for tests (tests/simulators/*_sim.py): each is a local HTTP server whose
# instances are real loopback sshd hosts. Sourced after lib.sh.
#   start_sim vast|runpod|lambda [SCENARIO_JSON]  -> SIM_URL (the base URL choline is pointed at),
#                                                   SIM_ROOT (for the /_test routes)
#   sim_alive      -> how many instances the simulator still holds (billing)
#   sim_config JSON, sim_kill ID

SIM_KEY="sim-key-$RANDOM$RANDOM-abcdef"

start_sim() {
  local name="$1" scenario="${2:-}" dir="$SCRATCH/sim-$1"
  [ -n "$scenario" ] || scenario='{}'
  mkdir -p "$dir" /run/sshd
  /usr/bin/python3 "$SOURCE_DIR/tests/simulators/${name}_sim.py" --state "$dir/state" --port-file "$dir/port" \
    --key "$SIM_KEY" --boot-delay "${SIM_BOOT_DELAY:-1}" --scenario "$scenario" >"$dir/log" 2>&1 &
  local pid=$!
  cleanup_hooks+=("kill $pid 2>/dev/null; sleep 0.3")
  local tries=0
  while [ ! -s "$dir/port" ]; do
    tries=$((tries + 1)); [ $tries -lt 200 ] || fail "the $name simulator did not start: $(cat "$dir/log")"; sleep 0.05
  done
  SIM_ROOT="http://127.0.0.1:$(cat "$dir/port")"
  case "$name" in
    vast) SIM_URL="$SIM_ROOT"; export CHOLINE_VAST_URL="$SIM_URL" VAST_API_KEY="$SIM_KEY" ;;
    runpod) SIM_URL="$SIM_ROOT/graphql"; export CHOLINE_RUNPOD_URL="$SIM_URL" RUNPOD_API_KEY="$SIM_KEY" ;;
    lambda) SIM_URL="$SIM_ROOT/api/v1"; export CHOLINE_LAMBDA_URL="$SIM_URL" LAMBDA_API_KEY="$SIM_KEY" ;;
  esac
}

sim_get() { /usr/bin/python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' "$1"; }
sim_post() {
  /usr/bin/python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST")).read().decode())' "$1" "${2:-null}"
}
sim_alive() { sim_get "$SIM_ROOT/_test/alive" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["alive"])'; }
sim_config() { sim_post "$SIM_ROOT/_test/config" "$1" >/dev/null; }
sim_kill() { sim_post "$SIM_ROOT/_test/kill/$1" >/dev/null; }

# choline's own config (credentials, SSH identity) lives in the scratch dir; the simulated hosts
# run as this user.
export XDG_CONFIG_HOME="$SCRATCH/config"
export CHOLINE_SSH_USER="$(id -un)"

# Every run of the simulator-backed tests: nothing alive afterwards, and the key nowhere.
require_no_leak() {
  local alive; alive="$(sim_alive)"
  [ "$alive" = 0 ] || fail "$alive instance(s) still alive in the simulator: $(sim_get "$SIM_ROOT/_test/alive")"
}
require_key_hidden() {
  ! grep -rqF "$SIM_KEY" "$PROJECT/.choline" "$CHOLINE_HOME" "$SCRATCH/out" "$SCRATCH/err" 2>/dev/null ||
    fail "the API key leaked into output, a log or run.json"
}
