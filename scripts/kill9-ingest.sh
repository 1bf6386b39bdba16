#!/usr/bin/env bash
# Crash-safety check for goal matches and their alerts (issue 15): starts `deals serve` on a
# fresh SQLite data directory, creates goals, `kill -9`s the server while their searches ingest
# and match, restarts it, and repeats. Then it lets the restarted server finish (re-claimed
# jobs, the outbox sweep) and counts, per goal with matches, whether its alert arrived.
#
#   cargo build -p deals-app --bin deals
#   scripts/kill9-ingest.sh                 # ROUNDS=8 GOALS=4 by default
#   ROUNDS=20 GOALS=6 DEALS_BIN=target/release/deals scripts/kill9-ingest.sh
#
# Exit status 0 when every goal with matches has its one summary alert (and no outbox row is
# left), 1 otherwise. Needs curl, python3 and sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-8}
GOALS=${GOALS:-4}
BIN=${DEALS_BIN:-target/debug/deals}
WAIT_SECS=${WAIT_SECS:-300}
[ -x "$BIN" ] || { echo "build it first: cargo build -p deals-app --bin deals" >&2; exit 2; }
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
PID=""
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT

start() {
  # `DEALS_BIN` is this script's, not a setting of the server (which refuses unknown keys);
  # the signup bonus pays for every goal of every round.
  env -u DEALS_BIN DEALS_SERVER__LISTEN="127.0.0.1:$PORT" DEALS_DATA_DIR="$DIR" DEALS_SEED__DEMO_ON_EMPTY=false \
    DEALS_RATE_LIMIT__ENABLED=false DEALS_SIM__CHAOS=false DEALS_LOG__LEVEL=warn \
    DEALS_TOKENS__SIGNUP_BONUS=100000 "$BIN" serve >>"$DIR/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do
    curl -sf "$BASE/health" >/dev/null && return 0
    sleep 0.1
  done
  echo "deals serve did not start; log:" >&2; tail -20 "$DIR/serve.log" >&2; exit 2
}
sql() { sqlite3 "$DIR/deals.db" "$1"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

QUERIES=("Sony or Bose noise cancelling headphones under \$300, new" "27 inch 4k monitor under \$400"
  "OLED TV under \$1,400" "mechanical keyboard" "robot vacuum under \$300" "gaming laptop RTX"
  "air fryer" "espresso machine under \$500" "running shoes" "wireless earbuds under \$150")

start
TOKEN=$(curl -sf "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"kill9@example.com","password":"kill9-password"}' | json "['access_token']")
KILLS=0
for round in $(seq 1 "$ROUNDS"); do
  for g in $(seq 1 "$GOALS"); do
    q=${QUERIES[$(( (round * GOALS + g) % ${#QUERIES[@]} ))]}
    curl -sf "$BASE/api/v1/goals" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
      -d "{\"query\": \"$q (round $round)\"}" >/dev/null
  done
  # Kill while the first searches are ingesting: 0.3-1.5 s after the goals were created.
  sleep "$(python3 -c 'import random; print(round(random.uniform(0.3, 1.5), 2))')"
  kill -9 "$PID"; wait "$PID" 2>/dev/null || true; KILLS=$((KILLS + 1))
  at_kill_matches=$(sql "SELECT COUNT(DISTINCT goal_id) FROM goal_matches")
  at_kill_alerts=$(sql "SELECT COUNT(*) FROM notifications WHERE dedup_key LIKE 'goal:%:summary'")
  at_kill_outbox=$(sql "SELECT COUNT(*) FROM goal_alert_outbox")
  echo "round $round: killed; goals with matches $at_kill_matches, summaries $at_kill_alerts, outbox rows $at_kill_outbox"
  start
done

# Let the last server finish: re-claimed searches (after their lease) and the outbox sweep.
deadline=$((SECONDS + WAIT_SECS))
while [ $SECONDS -lt $deadline ]; do
  busy=$(sql "SELECT COUNT(*) FROM jobs WHERE kind IN ('analyze_goal','search_deals','flush_alerts') AND status IN ('queued','running','retrying')")
  outbox=$(sql "SELECT COUNT(*) FROM goal_alert_outbox")
  [ "$busy" = 0 ] && [ "$outbox" = 0 ] && break
  sleep 2
done
goals=$(sql "SELECT COUNT(*) FROM goals")
matched=$(sql "SELECT COUNT(DISTINCT goal_id) FROM goal_matches")
matches=$(sql "SELECT COUNT(*) FROM goal_matches")
summaries=$(sql "SELECT COUNT(*) FROM notifications WHERE dedup_key LIKE 'goal:%:summary'")
dups=$(sql "SELECT COUNT(*) FROM (SELECT dedup_key FROM notifications GROUP BY user_id, dedup_key HAVING COUNT(*) > 1)")
outbox=$(sql "SELECT COUNT(*) FROM goal_alert_outbox")
dead=$(sql "SELECT COUNT(*) FROM jobs WHERE status IN ('dead','failed')")
echo "kills $KILLS; goals $goals; goals with matches $matched ($matches matches); summary alerts $summaries; duplicate alerts $dups; outbox rows left $outbox; dead/failed jobs $dead; waited $((SECONDS - deadline + WAIT_SECS)) s"
# Every goal whose search found nothing also gets a ("no matches yet") summary: compare with
# the goals that finished a search.
searched=$(sql "SELECT COUNT(*) FROM goals WHERE last_search IS NOT NULL")
echo "goals searched $searched"
if [ "$summaries" -ge "$matched" ] && [ "$summaries" -ge "$searched" ] && [ "$dups" = 0 ] && [ "$outbox" = 0 ]; then
  echo "OK: no alert lost, none doubled"
else
  echo "FAIL"; exit 1
fi
