#!/usr/bin/env bash
# Load smoke (called by .ci/run): `deals serve` on its default configuration (SQLite, in-process
# backends, demo data, simulated markets) in a scratch data directory, then Locust with
# loadtest/locustfile.py, 30 users for 30 s; fails above 1 % failed requests.
# The only change to the defaults: the register/login limit per address (20/min) is raised, since
# every simulated user signs up from 127.0.0.1.
#
#   loadtest/smoke.sh [BINARY]      # default target/debug/deals; USERS=, SECS= override
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/debug/deals}")
users=${USERS:-30}
secs=${SECS:-30}
venv=target/loadtest-venv
if [ ! -x "$venv/bin/locust" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r loadtest/requirements.txt
fi
data=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2> /dev/null; wait 2> /dev/null; rm -rf "$data"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -u DEALS_CONFIG_FILE -u DEALS_DATABASE__URL -u DEALS_REDIS__URL \
  DEALS_DATA_DIR="$data" DEALS_SERVER__LISTEN="127.0.0.1:$port" DEALS_RATE_LIMIT__AUTH_PER_MINUTE=1000 \
  DEALS_LOG__LEVEL=warn "$bin" serve > "$data/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$port/ready" && break; sleep 0.1; done
curl -fs -o /dev/null "http://127.0.0.1:$port/ready" || { cat "$data/serve.log"; echo "deals serve did not become ready"; exit 1; }
LOCUST_MAX_FAIL_RATIO=0.01 "$venv/bin/locust" --config loadtest/locust.conf -f loadtest/locustfile.py \
  -u "$users" -r 10 -t "${secs}s" --host "http://127.0.0.1:$port" 2>&1 | tail -25
