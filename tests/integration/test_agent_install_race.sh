# Nodes that share a machine install the agent at the same moment: on the local provider every
# node of a fresh CHOLINE_HOME extracts it at once, and none may fail to start it ("Text file
# busy" came from a child inheriting another thread's half-written copy).
source "$(dirname "$0")/lib.sh"
mkdir -p "$SCRATCH/project"
printf 'import os\nprint("rank", os.environ["RANK"], "up", flush=True)\n' >"$SCRATCH/project/up.py"
for round in 1 2 3 4 5; do
  export CHOLINE_HOME="$SCRATCH/home-$round"  # nothing installed yet
  expect_exit 0 "$CHOLINE" -q -C "$SCRATCH/project" train up.py --1xcpu --nodes 4
  for rank in 0 1 2 3; do contains "$OUT" "[$rank/$rank] rank $rank up"; done
done
echo "agent install race: ok"
