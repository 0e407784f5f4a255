# The rent -> run -> destroy flow against one provider simulator, shared by test_provider_*.sh.
# Sourced after lib.sh and sim.sh; call
#   provider_flow NAME KEY_VARIABLE REFUSE_SCENARIO NEVER_BOOT_SCENARIO RESET_SCENARIO [full]
# "full" adds the slower cases (never-booting instance, Ctrl-C, kill -9 + stop).

provider_flow() {
  local name="$1" key_var="$2" refuse="$3" never="$4" reset="$5" full="${6:-}"
  make_project
  start_sim "$name"

  # Offers: ranked, with the provider's own ids.
  expect_exit 0 "$CHOLINE" -C "$PROJECT" offers --2x3090 --provider "$name" --json
  [ "$(/usr/bin/python3 -c 'import json,sys; o=json.loads(sys.argv[1]); print(len(o) > 0 and all(x["provider"] == sys.argv[2] for x in o) and o == sorted(o, key=lambda x: x["price_per_hour"]))' "$OUT" "$name")" = True ] ||
    fail "offers not ranked: $OUT"

  # The README's job on a rented host: the same output as on the local provider, nothing left.
  expect_exit 0 "$CHOLINE" -C "$PROJECT" train tr.py --2x3090 --provider "$name" --epochs 1 --limit 800 --test-limit 100
  contains "$OUT" "[0/0] epoch 0 done"
  contains "$OUT" "[0/1] epoch 0 done"
  contains "$OUT" "succeeded"
  local run; run=$(latest_run)
  require_finished_run "$run"
  [ "$(run_field "$run" 'all(h["state"] == "released" for h in r["hosts"])')" = True ] || fail "hosts not released"
  [ "$(run_field "$run" 'r["hosts"][0]["access"]["label"]')" = "choline-$run-node0" ] || fail "instance label not journaled"
  require_no_leak
  require_key_hidden

  # A refused create falls back to the next offer.
  sim_config "$refuse"
  expect_exit 0 "$CHOLINE" -C "$PROJECT" train lines.py --2x3090 --provider "$name" -- 3
  contains "$OUT" "rank 1 line 2"
  run=$(latest_run)
  [ "$(run_field "$run" 'sum(e["type"] == "provision_failed" for e in r["events"])')" = 1 ] || fail "the refused create was not journaled"
  require_no_leak

  # A 429 storm is ridden out.
  sim_config '{"rate_limit_burst": 6}'
  expect_exit 0 "$CHOLINE" -C "$PROJECT" offers --2x3090 --provider "$name"
  contains "$OUT" "$name"

  # A bad key fails fast, naming the variable, and is not printed.
  local start=$SECONDS
  expect_exit 1 env "$key_var=wrong-key-xyz123" "$CHOLINE" -C "$PROJECT" offers --2x3090 --provider "$name"
  contains "$ERR" "$key_var"
  [ $((SECONDS - start)) -le 2 ] || fail "a bad key took $((SECONDS - start)) s to fail"
  case "$ERR" in *wrong-key-xyz123*) fail "the bad key was printed" ;; esac
  # A missing key names the variable and the file.
  expect_exit 1 env "$key_var=" "$CHOLINE" -C "$PROJECT" offers --2x3090 --provider "$name"
  contains "$ERR" "$key_var"
  contains "$ERR" "credentials.json"

  [ -n "$full" ] || return 0

  # An instance that never boots is destroyed and the next offer taken.
  sim_config "$never"
  expect_exit 0 env CHOLINE_PROVISION_TIMEOUT_S=3 "$CHOLINE" -C "$PROJECT" train lines.py --2x3090 --provider "$name" -- 3
  contains "$OUT" "rank 1 line 2"
  run=$(latest_run)
  [ "$(run_field "$run" 'len(r["host_losses"])')" = 1 ] || fail "the never-booting instance was not counted as lost"
  require_no_leak
  sim_config "$reset"

  # Ctrl-C (no terminal: detach) then choline stop leaves nothing alive.
  "$CHOLINE" -C "$PROJECT" train lines.py --2x3090 --provider "$name" -- 600 >"$SCRATCH/detach.out" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 200); do grep -q "line 2" "$SCRATCH/detach.out" 2>/dev/null && break; sleep 0.1; done
  kill -INT "$pid"
  set +e; wait "$pid"; set -e
  run=$(latest_run)
  [ "$(sim_alive)" = 1 ] || fail "a detached run should still hold its instance: $(cat "$SCRATCH/detach.out")"
  expect_exit 0 "$CHOLINE" -C "$PROJECT" stop "$run"
  require_no_leak

  # kill -9 of choline train, then choline stop RUN destroys what it rented.
  "$CHOLINE" -C "$PROJECT" train lines.py --2x3090 --provider "$name" -- 600 >"$SCRATCH/kill.out" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 200); do grep -q "line 2" "$SCRATCH/kill.out" 2>/dev/null && break; sleep 0.1; done
  kill -9 "$pid"
  set +e; wait "$pid" 2>/dev/null; set -e
  run=$(latest_run)
  expect_exit 0 "$CHOLINE" -C "$PROJECT" stop "$run"
  require_no_leak
  require_key_hidden
}
