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

# A usage error in choline.json stops before anything runs, naming file and key.
mkdir -p "$SCRATCH/proj" && echo '{"gpus": 4}' >"$SCRATCH/proj/choline.json" && touch "$SCRATCH/proj/tr.py"
expect_exit 2 "$CHOLINE" -C "$SCRATCH/proj" train tr.py
contains "$ERR" 'choline.json: "gpus": expected a string, got an integer'
echo "cli: ok"
