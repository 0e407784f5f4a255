# URL data entries: the static agent downloads from a local HTTP server (redirects, Range,
# a 404, a connection cut mid-file, a server that ignores Range), checks the sha256, unpacks
# .tar.gz/.tar.zst/.zip, publishes into the host's data cache and links into the run's working
# directory. Failures name what went wrong and leave nothing in the cache.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
command -v curl >/dev/null || { echo "skip: no curl"; exit 77; }

# The static agent, as hosts run it.
AGENT="$SCRATCH/choline-agent"
"$CHOLINE" agent extract "$AGENT"

WWW="$SCRATCH/www"
mkdir -p "$WWW" "$SCRATCH/src/train/images"
head -c 300000 /dev/urandom >"$WWW/plain.bin"
for f in plain2 plain3 plain4; do head -c 200000 /dev/urandom >"$WWW/$f.bin"; done
head -c 100000 /dev/urandom >"$SCRATCH/src/train/images/a.bin"
echo "x,y" >"$SCRATCH/src/train/labels.csv"
ln -s labels.csv "$SCRATCH/src/train/latest.csv"
tar -C "$SCRATCH/src" -czf "$WWW/train.tar.gz" train
tar -C "$SCRATCH/src" -cf - train | zstd -q -o "$WWW/train.tar.zst"
(cd "$SCRATCH/src" && $PY -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],"w",zipfile.ZIP_DEFLATED); [z.write(p) for p in ("train/images/a.bin","train/labels.csv")]; z.close()' "$WWW/train.zip")
$PY - "$WWW/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    data = b"pwned"
    info = tarfile.TarInfo("../escaped"); info.size = len(data); t.addfile(info, io.BytesIO(data))
PY
sha() { sha256sum "$1" | cut -d' ' -f1; }

$PY "$SOURCE_DIR/tests/integration/data_http_server.py" "$WWW" "$SCRATCH/port" "$SCRATCH/requests.log" &
server_pid=$!
cleanup_hooks+=("kill $server_pid")
for _ in $(seq 1 100); do [ -s "$SCRATCH/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$SCRATCH/port")"

CACHE="$SCRATCH/host/data"
RUN="$SCRATCH/host/runs/r1"
WORK="$RUN/project"
mkdir -p "$WORK"

# fetch ID TO URL SHA EXTRACT [HEADERS_JSON]: the request on stdin, as the laptop sends it.
fetch() {
  local id="$1" to="$2" url="$3" hash="$4" extract="$5" headers="${6:-{\}}"
  printf '{"url": "%s", "sha256": "%s", "extract": %s, "shown": "%s", "name": "%s", "headers": %s}' \
    "$url" "$hash" "$extract" "$url" "$(basename "$to")" "$headers" >"$SCRATCH/request.json"
  expect_exit "${EXPECT:-0}" "$AGENT" agent data-fetch --cache "$CACHE" --id "$id" --work-dir "$WORK" --to "$to" \
    --run-root "$RUN" <"$SCRATCH/request.json"
}
no_leftovers() {
  ! ls -d "$CACHE"/.stage-* >/dev/null 2>&1 || fail "a stage was left in the cache: $(ls -a "$CACHE")"
  [ ! -e "$CACHE/$1" ] || fail "a failed download left a cache entry $1"
}

# A plain file through two redirects.
H=$(sha "$WWW/plain.bin")
fetch "sha256-$H" inputs/plain.bin "$URL/redirect/redirect/plain.bin" "$H" false
contains "$OUT" "done 1 300000 300000"
cmp "$WORK/inputs/plain.bin" "$WWW/plain.bin" || fail "the downloaded file differs"
[ -L "$WORK/inputs/plain.bin" ] || fail "the run does not see the file through a link"
[ -s "$CACHE/sha256-$H/meta.json" ] || fail "no cache entry for the download"
[ ! -w "$CACHE/sha256-$H/data/plain.bin" ] || [ "$(id -u)" = 0 ] || fail "a cached file is writable"
[ "$(stat -c %a "$CACHE/sha256-$H/data/plain.bin")" = 400 ] || fail "cached file mode $(stat -c %a "$CACHE/sha256-$H/data/plain.bin")"

# The same entry again (another run on the host): nothing downloaded.
before=$(wc -l <"$SCRATCH/requests.log")
RUN="$SCRATCH/host/runs/r2" WORK="$SCRATCH/host/runs/r2/project" fetch "sha256-$H" inputs/plain.bin "$URL/plain.bin" "$H" false
contains "$OUT" "have 1 300000"
[ "$(wc -l <"$SCRATCH/requests.log")" = "$before" ] || fail "a cached entry was downloaded again"

# Archives, unpacked; the .tar.zst through a connection cut mid-file, resumed with a Range request.
for kind in tar.gz tar.zst zip; do
  H=$(sha "$WWW/train.$kind")
  path="train.$kind"
  [ "$kind" = tar.zst ] && path="cut/train.$kind"
  fetch "sha256-$H-extracted" "data/$kind" "$URL/$path" "$H" true
  [ "$kind" = tar.zst ] && contains "$OUT" "retry 2"
  cmp "$WORK/data/$kind/train/images/a.bin" "$SCRATCH/src/train/images/a.bin" || fail "$kind: a.bin differs"
  [ "$(cat "$WORK/data/$kind/train/labels.csv")" = "x,y" ] || fail "$kind: labels.csv differs"
done
[ "$(readlink "$WORK/data/tar.gz/train/latest.csv")" = labels.csv ] || fail "the archive's symlink was not kept"
grep -q "GET /cut/train.tar.zst range=bytes=[1-9][0-9]*-" "$SCRATCH/requests.log" || fail "the cut download was not resumed: $(cat "$SCRATCH/requests.log")"

# A wrong sha256: the message names both hashes; nothing stays in the cache.
WRONG=$(printf '%064d' 0)
EXPECT=1 fetch "sha256-$WRONG" inputs/wrong.bin "$URL/plain2.bin" "$WRONG" false
contains "$ERR" "its sha256 is $(sha "$WWW/plain2.bin")"
contains "$ERR" "the entry says $WRONG"
no_leftovers "sha256-$WRONG"
[ ! -e "$WORK/inputs/wrong.bin" ] || fail "a failed download was linked"

# A 404.
EXPECT=1 fetch "sha256-$WRONG" inputs/missing.bin "$URL/no-such-file" "$WRONG" false
contains "$ERR" "HTTP 404 (not found)"
no_leftovers "sha256-$WRONG"

# An archive that tries to write outside its directory.
H=$(sha "$WWW/evil.tar")
EXPECT=1 fetch "sha256-$H-extracted" data/evil "$URL/evil.tar" "$H" true
contains "$ERR" "unsafe member"
[ ! -e "$SCRATCH/escaped" ] && [ ! -e "$CACHE/escaped" ] || fail "the hostile archive wrote outside its directory"
no_leftovers "sha256-$H-extracted"

# Credentials from the request's headers reach the server, never the host's disk.
H=$(sha "$WWW/plain3.bin")
EXPECT=1 fetch "sha256-$H" inputs/auth.bin "$URL/auth/plain3.bin" "$H" false
contains "$ERR" "HTTP 401"
fetch "sha256-$H" inputs/auth.bin "$URL/auth/plain3.bin" "$H" false '{"Authorization": "Bearer let-me-in"}'
cmp "$WORK/inputs/auth.bin" "$WWW/plain3.bin" || fail "the authorized download differs"
! grep -rq "let-me-in" "$SCRATCH/host" || fail "a credential was written on the host"

# The fallbacks: wget and python3, each through a cut connection and a server that ignores Range.
for tool in wget python3; do
  command -v "$tool" >/dev/null || continue
  head -c 250000 /dev/urandom >"$WWW/$tool.bin"
  H=$(sha "$WWW/$tool.bin")
  CHOLINE_DOWNLOADER=$tool fetch "sha256-$H" "inputs/$tool.bin" "$URL/cut/$tool.bin" "$H" false
  cmp "$WORK/inputs/$tool.bin" "$WWW/$tool.bin" || fail "$tool: the resumed download differs"
  contains "$OUT" "retry 2"
done

# Two runs staging the same entry at once share one cache entry, downloaded once.
H=$(sha "$WWW/plain4.bin")
for r in c1 c2; do
  printf '{"url": "%s/plain4.bin", "sha256": "%s", "extract": false, "shown": "x", "name": "p.bin", "headers": {}}' "$URL" "$H" |
    "$AGENT" agent data-fetch --cache "$CACHE" --id "sha256-$H" --work-dir "$SCRATCH/host/runs/$r/project" --to p.bin \
      --run-root "$SCRATCH/host/runs/$r" >"$SCRATCH/$r.out" 2>"$SCRATCH/$r.err" &
done
wait %2 %3 2>/dev/null || wait
for r in c1 c2; do cmp "$SCRATCH/host/runs/$r/project/p.bin" "$WWW/plain4.bin" || fail "$r: $(cat "$SCRATCH/$r.err")"; done
[ "$(grep -c "GET /plain4.bin" "$SCRATCH/requests.log")" = 1 ] || fail "the shared entry was downloaded twice"
[ "$(ls -d "$CACHE"/sha256-"$H"* | wc -l)" = 1 ] || fail "two cache entries for one download"

# The cache lists what it holds.
expect_exit 0 "$AGENT" agent data-list --cache "$CACHE"
contains "$OUT" "\"fingerprint\":\"$H\""
echo "data fetch: ok"
