#!/usr/bin/env bash
# Load check of a release build on the embedded default: starts `deals serve` on a scratch data
# directory (demo data, rate limits off), measures idle RSS, then runs wrk against a few
# endpoints. Traffic goes to 127.0.0.1 only; every run is bounded in time.
#
#   cargo build --release && scripts/load.sh            # needs wrk (apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/deals
port=${PORT:-18080}
duration=${DURATION:-10s}
data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT

DEALS_DATA_DIR="$data" DEALS_SERVER__LISTEN="127.0.0.1:$port" DEALS_RATE_LIMIT__ENABLED=false \
  DEALS_LOG__LEVEL=warn "$bin" serve --role api &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/ready" > /dev/null && break; sleep 0.1; done
sleep 10
echo "idle RSS: $(( $(ps -o rss= -p "$pid") / 1024 )) MiB"

cat > "$data/pages.lua" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  local cents = counter % 150000
  return wrk.format("GET", string.format("/api/v1/deals/search?q=sony%%20or%%20headphones&sort=price&min_price=%d.%02d", math.floor(cents / 100), cents % 100))
end
LUA

run() { echo "== $1"; wrk -t2 -c32 -d"$duration" "${@:2}" | grep -E 'Requests/sec|Latency|Non-2xx'; }
run "GET /health" "http://127.0.0.1:$port/health"
run "GET /api/v1/deals/search?q=headphones (cached)" "http://127.0.0.1:$port/api/v1/deals/search?q=headphones"
run "GET /api/v1/deals/search, a new min_price each request (uncached FTS + count)" -s "$data/pages.lua" "http://127.0.0.1:$port"
echo "RSS after load: $(( $(ps -o rss= -p "$pid") / 1024 )) MiB"
