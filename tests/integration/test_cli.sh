# The real binary's command line: help, exit codes, the README's main command parsing.
source "$(dirname "$0")/lib.sh"

expect_exit 0 "$CHOLINE" --help
contains "$OUT" "train"
expect_exit 0 "$CHOLINE" train --help
contains "$OUT" "--4x3090"
expect_exit 2 "$CHOLINE" train x.py --4xBANANA
contains "$ERR" "unknown GPU 'BANANA'"
expect_exit 2 "$CHOLINE" train x.py --0x3090
expect_exit 2 "$CHOLINE" train x.py --4x
expect_exit 2 "$CHOLINE" train x.py --99999x3090
contains "$ERR" "use --nodes"
expect_exit 2 "$CHOLINE"
expect_exit 2 "$CHOLINE" nonsense

# The README's main command parses and resolves (dry run: nothing is started).
cd "$SOURCE_DIR"
expect_exit 0 "$CHOLINE" train --dry-run examples/ddp-python/tr.py --2xcpu
contains "$OUT" '"workers": 2'

# A GPU the chosen provider never has is a usage error before anything exists: one message with
# the advice, exit 2, no run in choline status (the README's opening line on the local provider).
mkdir -p "$SCRATCH/gpu" && touch "$SCRATCH/gpu/tr.py"
expect_exit 2 "$CHOLINE" -C "$SCRATCH/gpu" train tr.py --4x3090
contains "$ERR" "--4xcpu"
[ "$(grep -c 'RTX3090' <<<"$ERR")" = 1 ] || fail "the advice should be said once: $ERR"
[ ! -d "$SCRATCH/gpu/.choline/runs" ] || fail "a refused plan left a run: $(ls "$SCRATCH/gpu/.choline/runs")"
expect_exit 2 "$CHOLINE" -C "$SCRATCH/gpu" train --dry-run tr.py --4x3090
expect_exit 2 "$CHOLINE" -C "$SCRATCH/gpu" sweep tr.py --4x3090 -p lr=uniform:0:1 --metric acc
contains "$ERR" "--4xcpu"
[ ! -d "$SCRATCH/gpu/.choline/sweeps" ] || fail "a refused sweep left a record"

# A usage error in choline.json stops before anything runs, naming file and key.
mkdir -p "$SCRATCH/proj" && echo '{"gpus": 4}' >"$SCRATCH/proj/choline.json" && touch "$SCRATCH/proj/tr.py"
expect_exit 2 "$CHOLINE" -C "$SCRATCH/proj" train tr.py
contains "$ERR" 'choline.json: "gpus": expected a string, got an integer'
echo "cli: ok"
