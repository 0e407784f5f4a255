# Progress lines: plain and timestamped when stderr is not a terminal (or CI, NO_COLOR), redrawn
# in place on a terminal, none with --quiet. Terminals come from script(1) (util-linux).
source "$(dirname "$0")/lib.sh"
command -v script >/dev/null || { echo "script(1) missing: skipped"; exit 77; }

src="$SCRATCH/src"
mkdir -p "$src"
head -c 3000000 /dev/urandom >"$src/blob.bin"
for i in $(seq 1 20); do echo "$i" >"$src/f$i.txt"; done
find "$src" -exec touch -d '1 minute ago' {} +  # settled files: a second sync finds nothing to do

# Not a terminal (stderr is a file here): one line when the step starts, one when it ends.
expect_exit 0 "$CHOLINE" sync "$src" "$SCRATCH/dst1"
grep -Eq "^\[[0-9]{2}:[0-9]{2}:[0-9]{2}\] sync $src -> $SCRATCH/dst1\$" <<<"$ERR" || fail "no plain start line: $ERR"
grep -Eq "^\[[0-9]{2}:[0-9]{2}:[0-9]{2}\] sync $src -> $SCRATCH/dst1: 21 files sent \([0-9.]+ MB\) of 2[0-9] checked in " <<<"$ERR" ||
  fail "no plain end line: $ERR"
[ "$(wc -l <<<"$ERR")" -le 3 ] || fail "plain progress is not throttled: $ERR"
case "$ERR" in *$'\r'* | *$'\033'*) fail "plain progress has terminal control characters: $ERR" ;; esac
expect_exit 0 "$CHOLINE" sync "$src" "$SCRATCH/dst1"
contains "$ERR" ": up to date (2"

# --quiet: no progress and no info lines; errors still shown; not with --verbose.
expect_exit 0 "$CHOLINE" --quiet sync "$src" "$SCRATCH/dst2"
[ -z "$ERR" ] || fail "--quiet printed: $ERR"
expect_exit 1 "$CHOLINE" -q sync "$SCRATCH/missing" "$SCRATCH/dst3"
contains "$ERR" "missing"
expect_exit 2 "$CHOLINE" -q -v sync "$src" "$SCRATCH/dst3"
contains "$ERR" "excludes"

# On a terminal the status line is redrawn in place ("\r" and erase-line) and the end stays.
# The test's own environment is neutralised first: CI machines set CI (and may set NO_COLOR or
# TERM=dumb), each of which rightly turns redrawing off.
on_terminal() {  # on_terminal OUTFILE CMD...: runs CMD with a pseudo-terminal as stdout and stderr
  local out="$1"; shift
  script -q -e -c "$(printf '%q ' env -u CI -u NO_COLOR TERM=xterm "$@")" /dev/null </dev/null >"$out" 2>&1
}
on_terminal "$SCRATCH/tty.out" "$CHOLINE" sync "$src" "$SCRATCH/dst4"
grep -q $'\r\033\[K' "$SCRATCH/tty.out" || fail "no redrawn status line on a terminal: $(cat -v "$SCRATCH/tty.out")"
grep -q "21 files sent" "$SCRATCH/tty.out" || fail "the finished step left no line on a terminal"
! grep -Eq '^\[[0-9]{2}:[0-9]{2}:[0-9]{2}\]' "$SCRATCH/tty.out" || fail "timestamps on a terminal"

# A terminal in CI, or with NO_COLOR: plain lines.
for setting in CI=true NO_COLOR=1 TERM=dumb; do
  rm -rf "$SCRATCH/dst5"
  on_terminal "$SCRATCH/plain.out" env "$setting" "$CHOLINE" sync "$src" "$SCRATCH/dst5"
  ! grep -q $'\033' "$SCRATCH/plain.out" || fail "$setting: escape sequences on the terminal: $(cat -v "$SCRATCH/plain.out")"
  grep -Eq '^\[[0-9]{2}:[0-9]{2}:[0-9]{2}\] sync ' "$SCRATCH/plain.out" || fail "$setting: no plain lines"
done

# train: each step a line (the push, the setup); --quiet leaves the job's own output only.
mkdir -p "$SCRATCH/project"
printf 'print("hello from", __import__("os").environ["RANK"], flush=True)\n' >"$SCRATCH/project/hello.py"
echo '{"setup": ["echo setting up"]}' >"$SCRATCH/project/choline.json"
expect_exit 0 "$CHOLINE" -C "$SCRATCH/project" train hello.py --1xcpu
grep -Eq '^\[[0-9:]{8}\] [^ ]+: pushing the project: [0-9]+ files? sent' <<<"$ERR" || fail "no push line: $ERR"
grep -Eq '^\[[0-9:]{8}\] [^ ]+: setup: 1 command in ' <<<"$ERR" || fail "no setup line: $ERR"
contains "$OUT" "[0/0] hello from 0"
rm "$SCRATCH/project/choline.json"
expect_exit 0 "$CHOLINE" -q -C "$SCRATCH/project" train hello.py --1xcpu
[ -z "$ERR" ] || fail "train --quiet printed on stderr: $ERR"
contains "$OUT" "[0/0] hello from 0"
contains "$OUT" "succeeded"
# Renting on a marketplace (the vast simulator): the provider's status until the host is up,
# then the agent's upload.
source "$(dirname "$0")/sim.sh"
start_sim vast
expect_exit 0 "$CHOLINE" -C "$SCRATCH/project" train hello.py --1x3090 --provider vast
grep -Eq '^\[[0-9:]{8}\] vast.ai instance [0-9]+ \(choline-[^ ]+-node0\)$' <<<"$ERR" || fail "no renting line: $ERR"
grep -Eq '^\[[0-9:]{8}\] vast.ai instance [0-9]+ \(choline-[^ ]+-node0\): up after ' <<<"$ERR" || fail "no 'up' line: $ERR"
grep -Eq '^\[[0-9:]{8}\] [0-9]+: installing the agent: installed \([0-9.]+ MB\) in ' <<<"$ERR" || fail "no agent line: $ERR"
require_no_leak
echo "progress: ok"
