# choline init: a commented choline.json that loads, setup and entry proposed from the project,
# never written over an existing one.
source "$(dirname "$0")/lib.sh"

py="$SCRATCH/py"
mkdir -p "$py"
echo "numpy" >"$py/requirements.txt"
printf 'import model\n\nif __name__ == "__main__":\n    model.fit()\n' >"$py/fit.py"
echo "def fit(): print('fit', flush=True)" >"$py/model.py"
expect_exit 0 "$CHOLINE" -C "$py" init
contains "$OUT" "wrote $py/choline.json"
contains "$OUT" "choline train fit.py --2xcpu"
grep -q '"\\"$CHOLINE_PYTHON\\" -m pip install -r requirements.txt"' "$py/choline.json" || fail "no pip setup: $(cat "$py/choline.json")"
grep -q '^ *// ' "$py/choline.json" || fail "no comments in the file"
# It loads through the real loader: a dry run resolves it, setup included.
expect_exit 0 "$CHOLINE" -C "$py" train --dry-run fit.py
contains "$OUT" 'pip install -r requirements.txt'
contains "$OUT" '"provider": "local"'

# An existing choline.json is never overwritten.
echo '{"nodes": 1}' >"$py/choline.json"
expect_exit 1 "$CHOLINE" -C "$py" init
contains "$ERR" "already exists; choline init never overwrites it"
[ "$(cat "$py/choline.json")" = '{"nodes": 1}' ] || fail "init changed an existing choline.json"

# pyproject.toml: pip install . ; a CMake project: configure and build on the host.
mkdir -p "$SCRATCH/pkg" "$SCRATCH/cpp"
touch "$SCRATCH/pkg/pyproject.toml" "$SCRATCH/pkg/train.py"
expect_exit 0 "$CHOLINE" -C "$SCRATCH/pkg" init
grep -q 'pip install \."' "$SCRATCH/pkg/choline.json" || fail "no pip install . for pyproject.toml"
contains "$OUT" "choline train train.py"
echo 'project(x CXX)' >"$SCRATCH/cpp/CMakeLists.txt"
expect_exit 0 "$CHOLINE" -C "$SCRATCH/cpp" init
grep -q 'cmake -S . -B build-host' "$SCRATCH/cpp/choline.json" || fail "no cmake configure"
grep -q 'cmake --build build-host' "$SCRATCH/cpp/choline.json" || fail "no cmake build"
contains "$OUT" "-- ./build-host/YOUR_PROGRAM"
expect_exit 0 "$CHOLINE" -C "$SCRATCH/cpp" train --dry-run -- ./build-host/x

# --config names another file; help describes the command.
expect_exit 0 "$CHOLINE" -C "$SCRATCH/cpp" --config "$SCRATCH/other.json" init
[ -s "$SCRATCH/other.json" ] || fail "--config path not written"
expect_exit 0 "$CHOLINE" init --help
contains "$OUT" "never overwritten"
echo "init: ok"
