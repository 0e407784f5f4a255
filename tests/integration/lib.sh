# Shared helpers for integration tests: sourced, not run. Each test gets its own scratch dir.
set -euo pipefail
CHOLINE="${1:?usage: $0 PATH_TO_CHOLINE}"
CHOLINE="$(cd "$(dirname "$CHOLINE")" && pwd)/$(basename "$CHOLINE")"
SOURCE_DIR="${CHOLINE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/choline-it.XXXXXX")"
export CHOLINE_HOME="$SCRATCH/home"
cleanup_hooks=()
on_exit() {
  local hook
  for hook in "${cleanup_hooks[@]}"; do eval "$hook" || true; done
  rm -rf "$SCRATCH"
}
trap on_exit EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_exit CODE CMD... : runs CMD, captures stdout/stderr into $OUT/$ERR, checks the exit code.
expect_exit() {
  local want="$1"; shift
  set +e
  "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
  local got=$?
  set -e
  OUT="$(cat "$SCRATCH/out")"; ERR="$(cat "$SCRATCH/err")"
  [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want; stderr: $ERR"
}

contains() { case "$1" in *"$2"*) ;; *) fail "expected to find '$2' in: $1" ;; esac; }
lacks() { case "$1" in *"$2"*) fail "expected no '$2' in: $1" ;; esac; }

# A copy of the ddp-python example as a scratch project, so runs land in the scratch dir.
make_project() {
  mkdir -p "$SCRATCH/project"
  cp "$SOURCE_DIR/examples/ddp-python/tr.py" "$SCRATCH/project/"
  cat >"$SCRATCH/project/lines.py" <<'PY'
import os, sys, time
rank = os.environ["RANK"]
count = int(sys.argv[1]) if len(sys.argv) > 1 else 30
for i in range(count):
    print(f"rank {rank} line {i}", flush=True)
    time.sleep(0.1)
PY
  PROJECT="$SCRATCH/project"
}

# The id of the newest run of $PROJECT.
latest_run() {
  "$CHOLINE" -C "$PROJECT" status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

run_field() {  # run_field RUN EXPR  (EXPR over the run record r, in Python)
  "$CHOLINE" -C "$PROJECT" status --json "$1" | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin); print($2)"
}

export CHOLINE_PYTHON=/usr/bin/python3

# A run that finished well: logs of ranks 0 and 1 here, a checkpoint pulled back, and the
# record saying succeeded.
require_finished_run() {
  local run="$1" dir="$PROJECT/.choline/runs/$1"
  [ -s "$dir/logs/rank-0.log" ] || fail "no rank 0 log for $run"
  [ -s "$dir/logs/rank-1.log" ] || fail "no rank 1 log for $run"
  [ -s "$dir/checkpoints/epoch-0000.pt" ] || fail "checkpoint not pulled back for $run"
  [ "$(run_field "$run" 'r["state"]')" = succeeded ] || fail "status --json does not show $run succeeded"
}

# use_chromium TEST: $BROWSER (headless Chromium, or the test is skipped) and $OUTPUT_DIR, where
# the test leaves its screenshots and DOM dumps.
use_chromium() {
  BROWSER="${CHOLINE_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
  if [ -z "$BROWSER" ]; then
    echo "SKIPPED: chromium is not installed (scripts/setup installs Debian's chromium package)"
    exit 77
  fi
  OUTPUT_DIR="${CHOLINE_TEST_OUTPUT_DIR:-$(dirname "$CHOLINE")/test-output/$1}"
  mkdir -p "$OUTPUT_DIR"
}
