#!/usr/bin/env bash
# Fuzzes the HTTP API with schemathesis (pinned, from PyPI) against the built binary on the
# default configuration (SQLite in a fresh temporary data directory, the simulated stores, an
# ephemeral port), as a registered user: every operation, all four phases (examples, coverage,
# fuzzing, stateful links), a bounded time budget. Any finding fails the run: a server error, a
# panic, a status, content type, header or body the document does not declare, a schema-valid
# request rejected or a schema-invalid one accepted. scripts/fuzz-api.toml lists the few
# exceptions, each for one rule of one operation that JSON Schema cannot state.
#
#   scripts/fuzz-api.sh                      # uses target/debug/deals, 180 s budget, seed 1
#   FUZZ_BIN=target/release/deals FUZZ_MAX_TIME=60 FUZZ_SEED=7 scripts/fuzz-api.sh
#
# Left out: `POST /auth/logout` (it ends the session of the fuzzer's own token, after which
# every other operation answers 401) and `GET /ws` (a WebSocket handshake, which schemathesis'
# HTTP client cannot make; tests/api/ws.rs covers it).
#
# The only settings changed from the defaults are the rate limits (a fuzzer sends thousands of
# requests a minute; 429s would hide everything else) and the demo data (off: the registered user
# is the only one). Reports go to target/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
BIN="${FUZZ_BIN:-target/debug/deals}"
MAX_TIME="${FUZZ_MAX_TIME:-180}"
OUT="target/fuzz"
VENV="${FUZZ_VENV:-target/fuzz-venv}"
SEED="${FUZZ_SEED:-1}"

[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build -p deals-app first)"; exit 1; }
mkdir -p "$OUT"
if ! "$VENV/bin/schemathesis" --version 2> /dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  rm -rf "$VENV"
  if ! python3 -m venv "$VENV" > /dev/null 2>&1; then
    # No venv module (Debian without python3-venv): fetch it first.
    apt-get update -qq && apt-get install -y -qq python3-venv > /dev/null
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

DATA="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
env DEALS_DATA_DIR="$DATA" DEALS_SERVER__LISTEN="127.0.0.1:$PORT" \
  DEALS_SEED__DEMO_ON_EMPTY=false \
  DEALS_RATE_LIMIT__ANONYMOUS_PER_MINUTE=1000000 DEALS_RATE_LIMIT__USER_PER_MINUTE=1000000 \
  DEALS_RATE_LIMIT__AUTH_PER_MINUTE=1000000 NO_COLOR=1 \
  "$BIN" serve > "$OUT/serve.log" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" 2> /dev/null || true; wait "$SERVER" 2> /dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

for _ in $(seq 1 300); do
  curl -fsS "$BASE/ready" > /dev/null 2>&1 && break
  kill -0 "$SERVER" 2> /dev/null || { cat "$OUT/serve.log"; exit 1; }
  sleep 0.2
done
curl -fsS "$BASE/ready" > /dev/null

TOKEN="$(curl -fsS -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
  -d "{\"email\":\"fuzz-$$@example.com\",\"password\":\"fuzz-passw0rd\"}" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"

set +e
"$VENV/bin/schemathesis" --config-file scripts/fuzz-api.toml run "$BASE/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --phases examples,coverage,fuzzing,stateful \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,positive_data_acceptance,negative_data_rejection \
  --max-time "$MAX_TIME" --workers 2 --seed "$SEED" \
  --suppress-health-check all \
  --request-timeout 35 \
  --exclude-path /api/v1/auth/logout --exclude-path /api/v1/ws \
  --report ndjson,junit --report-dir "$OUT" \
  --no-color 2>&1 | tee "$OUT/schemathesis.txt"
status=${PIPESTATUS[0]}
set -e
failed=0
if grep -qiE "panicked|internal error" "$OUT/serve.log"; then
  echo "the server logged a panic or an internal error:"; grep -iE "panicked|internal error" "$OUT/serve.log" | head -20
  failed=1
fi
if [ "$status" -ne 0 ]; then
  echo "schemathesis found failures (above; reports in $OUT)"
  failed=1
fi
exit "$failed"
