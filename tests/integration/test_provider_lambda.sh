# choline against the Lambda simulator: offers, train, a launch refused for capacity, 429s, bad
# keys; nothing alive afterwards. Lambda hosts answer SSH on port 22 of their own IP, so the
# simulator needs port 22 free on 127.x.y.z addresses (else the test is skipped). (~20 s)
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.9.9.9", 22))' 2>/dev/null || { echo "port 22 unavailable on loopback: skipped"; exit 77; }
source "$(dirname "$0")/sim.sh"
source "$(dirname "$0")/provider_flow.sh"
provider_flow lambda LAMBDA_API_KEY '{"refuse_creates": 1}' '{"never_boot": 1}' '{"never_boot": 0}'
echo "lambda provider: ok"
