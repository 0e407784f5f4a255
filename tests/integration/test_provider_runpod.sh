# choline against the RunPod GraphQL simulator: offers, train, a deploy refused for capacity
# (an error inside HTTP 200), 429s, bad keys; nothing alive afterwards. (~20 s)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sim.sh"
source "$(dirname "$0")/provider_flow.sh"
provider_flow runpod RUNPOD_API_KEY '{"refuse_creates": 1}' '{"never_boot": 1}' '{"never_boot": 0}'
echo "runpod provider: ok"
