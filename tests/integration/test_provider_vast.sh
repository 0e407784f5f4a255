# choline against the vast.ai simulator: offers, train, refused and never-booting offers, 429s,
# bad keys, Ctrl-C and kill -9 -- and never a live instance afterwards. (~40 s)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim.sh"
source "$(dirname "$0")/provider_flow.sh"
# The cheapest 2x3090 offer (1001) refuses, then it stays "loading" forever.
provider_flow vast VAST_API_KEY '{"refuse": [1001]}' '{"refuse": [], "never_boot": [1001]}' \
  '{"never_boot": []}' full
echo "vast provider: ok"
