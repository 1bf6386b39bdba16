#!/usr/bin/env bash
# HA test on one machine, processes on loopback (no containers): nginx (Debian package, this
# repository's deploy/nginx/nginx.conf with local ports) in front of three `deals serve --role
# api` replicas, two `deals worker`, two `deals scheduler` (leader election), on a fresh
# PostgreSQL database and a Redis key prefix of its own, under a Locust run of
# loadtest/locustfile.py. It checks:
#
#   1. kill -9 of one api replica under load       -> failed requests < 0.1 % (--quick: < 1 %)
#   2. kill -9 of the scheduler's leader            -> the other scheduler leads within one
#                                                      lease (3 x jobs.sweep_interval_secs) + one tick
#   3. rolling restart of every api replica        -> no failed request (--quick: < 1 % overall)
#      (SIGTERM: the replica drains for server.drain_secs, /ready 503, Connection: close; then
#      it is started again and the next one goes once it answers /ready)
#   4. (after the load) pg_dump of the database, pg_restore into a new one, an api process serves it
#
#   scripts/ha-test.sh            # full: 100 users, 90 s per phase (USERS=, PHASE_SECS= override)
#   scripts/ha-test.sh --quick    # CI: 30 users, one 90 s run with all three events, < 1 % errors
#   scripts/ha-test.sh --load "100 300 1000"   # no faults: one run per user count (PHASE_SECS
#                                 # after the last user started), per-scenario latency, CPU and RSS
#
# Needs: nginx, psql, redis-cli, python3 (Locust is installed, pinned, into target/loadtest-venv),
# PostgreSQL and Redis (DEALS_TEST_DATABASE_URL / DEALS_TEST_REDIS_URL, the test defaults), and a
# built binary (DEALS_BIN, default target/release/deals). Everything it starts is stopped and the
# database dropped on exit; it never touches other databases or keys.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

quick=false
load=""
case "${1:-}" in
  --quick) quick=true ;;
  --load) load=${2:-"100 300 1000"} ;;
  "") ;;
  *) echo "usage: $0 [--quick | --load \"100 300 1000\"]"; exit 2 ;;
esac
bin=${DEALS_BIN:-target/release/deals}
pg_admin=${DEALS_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
redis_url=${DEALS_TEST_REDIS_URL:-redis://127.0.0.1:6379}
if $quick; then
  users=${USERS:-30}; phase_secs=${PHASE_SECS:-90}; max_fail=0.01
else
  users=${USERS:-100}; phase_secs=${PHASE_SECS:-90}
fi
spawn_rate=${SPAWN_RATE:-10}

[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release, or set DEALS_BIN)"; exit 1; }
bin=$(realpath "$bin")
command -v nginx > /dev/null || { echo "nginx is missing (apt-get install nginx-light)"; exit 1; }
pg_isready -d "$pg_admin" -t 5 > /dev/null || { echo "PostgreSQL is unreachable at $pg_admin"; exit 1; }
[ "$(redis-cli -u "$redis_url" ping)" = "PONG" ] || { echo "Redis is unreachable at $redis_url"; exit 1; }

venv=target/loadtest-venv
if [ ! -x "$venv/bin/locust" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r loadtest/requirements.txt
fi

id=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
db="t_ha_$id"
work=$(mktemp -d "${TMPDIR:-/tmp}/ha-test.XXXXXX")
declare -A pids=()

cleanup() {
  set +e
  for name in "${!pids[@]}"; do kill -TERM "${pids[$name]}" 2> /dev/null; done
  [ -f "$work/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx.pid")" 2> /dev/null
  sleep 1
  for name in "${!pids[@]}"; do kill -KILL "${pids[$name]}" 2> /dev/null; done
  psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" > /dev/null 2>&1
  psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS \"${db}_restore\" WITH (FORCE)" > /dev/null 2>&1
  redis-cli -u "$redis_url" --scan --pattern "test:ha:$id:*" | xargs -r -n 500 redis-cli -u "$redis_url" del > /dev/null
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }

psql -q "$pg_admin" -c "CREATE DATABASE \"$db\"" > /dev/null
base_url="${pg_admin%/*}/$db"

export DEALS_DATABASE__URL="$base_url"
export DEALS_DATABASE__MIGRATE_ON_START=false
export DEALS_DATABASE__POOL_SIZE=10
export DEALS_REDIS__URL="$redis_url"
export DEALS_REDIS__KEY_PREFIX="test:ha:$id:"
export DEALS_SERVER__TRUST_FORWARDED_FOR=true
# DRAIN_SECS=off runs binaries without server.drain_secs (to compare).
[ "${DRAIN_SECS:-5}" = off ] || export DEALS_SERVER__DRAIN_SECS=${DRAIN_SECS:-5}
export DEALS_RATE_LIMIT__ENABLED=false      # one load generator address; limits are not under test
export DEALS_TOKENS__SIGNUP_BONUS=100000    # enough tokens for every goal the users create
export DEALS_SEED__DEMO_ON_EMPTY=false
export DEALS_LOG__FORMAT=json
export DEALS_LOG__LEVEL=${DEALS_LOG__LEVEL:-info}
export DEALS_DATA_DIR="$work/data"
unset DEALS_CONFIG_FILE DEALS_BIN   # DEALS_* variables are configuration keys for the binary

log "database $db, Redis prefix test:ha:$id:, binary $bin"
"$bin" migrate > "$work/migrate.log" 2>&1
"$bin" seed > "$work/seed.log" 2>&1

api_ports=("$(free_port)" "$(free_port)" "$(free_port)")
nginx_port=$(free_port)

start_api() {
  local i=$1
  DEALS_SERVER__LISTEN="127.0.0.1:${api_ports[$i]}" "$bin" serve --role api >> "$work/api$i.log" 2>&1 &
  pids[api$i]=$!
}
wait_ready() { # url, seconds
  local deadline=$(( $(date +%s) + $2 ))
  until curl -fs -o /dev/null "$1"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "not ready in $2 s: $1"; return 1; }
    sleep 0.1
  done
}
start_api 0; start_api 1; start_api 2
for w in 0 1; do "$bin" worker >> "$work/worker$w.log" 2>&1 & pids[worker$w]=$!; done
for s in 0 1; do "$bin" scheduler >> "$work/scheduler$s.log" 2>&1 & pids[scheduler$s]=$!; done
for i in 0 1 2; do wait_ready "http://127.0.0.1:${api_ports[$i]}/ready" 60; done

# The repository's nginx.conf with local upstreams, port and log files.
sed -e "s|server api-1:8000|server 127.0.0.1:${api_ports[0]}|" \
    -e "s|server api-2:8000|server 127.0.0.1:${api_ports[1]}|" \
    -e "s|server api-3:8000|server 127.0.0.1:${api_ports[2]}|" \
    -e "s|listen 8080;|listen 127.0.0.1:$nginx_port;|" \
    -e "s|access_log /dev/stdout|access_log $work/nginx-access.log|" \
    -e "s|error_log  /dev/stderr|error_log $work/nginx-error.log|" \
    -e "s|worker_processes auto;|worker_processes 1;|" \
    deploy/nginx/nginx.conf > "$work/nginx.conf"
grep -q "127.0.0.1:${api_ports[2]}" "$work/nginx.conf" || { echo "nginx.conf template did not apply"; exit 1; }
mkdir -p "$work/nginx"
nginx -p "$work/nginx" -c "$work/nginx.conf" -g "pid $work/nginx.pid;"
wait_ready "http://127.0.0.1:$nginx_port/ready" 10
log "nginx :$nginx_port -> api :${api_ports[*]}; 2 workers, 2 schedulers"

# Which scheduler leads (the JSON log line "this process is now the scheduler").
leader() {
  local s
  for s in 0 1; do
    [ -n "${pids[scheduler$s]:-}" ] || continue
    if [ "$(grep -c 'now the scheduler' "$work/scheduler$s.log")" -gt "$(grep -c 'another process took over' "$work/scheduler$s.log")" ]; then
      echo "$s"; return
    fi
  done
}
deadline=$(( $(date +%s) + 30 ))
until [ -n "$(leader)" ]; do [ "$(date +%s)" -lt "$deadline" ] || { echo "no scheduler leads"; exit 1; }; sleep 0.2; done

locust_run() { # name [users [seconds]] -> starts in the background, sets locust_pid
  "$venv/bin/locust" --config loadtest/locust.conf -f loadtest/locustfile.py \
    -u "${2:-$users}" -r "$spawn_rate" -t "${3:-$phase_secs}s" --host "http://127.0.0.1:$nginx_port" \
    --csv "$work/$1" > "$work/$1.out" 2>&1 &
  locust_pid=$!
}
# Prints "requests failures ratio" of a finished run.
run_totals() {
  python3 - "$work/$1_stats.csv" << 'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    if row["Name"] == "Aggregated":
        n, f = int(row["Request Count"]), int(row["Failure Count"])
        print(n, f, f"{(f / n if n else 1):.5f}")
PY
}
report_run() { # name
  python3 - "$work/$1_stats.csv" << 'PY'
import csv, sys
print(f"  {'name':<22}{'reqs':>7}{'fails':>6}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7} (ms)")
for r in csv.DictReader(open(sys.argv[1])):
    print(f"  {r['Name']:<22}{r['Request Count']:>7}{r['Failure Count']:>6}{float(r['Requests/s']):>8.1f}"
          f"{r['50%']:>7}{r['95%']:>7}{r['99%']:>7}")
PY
  grep -h -A20 "^Error report" "$work/$1.out" | grep -E "^\s+[0-9]+\s" | head -5 || true
}
usage() { # one line per process: RSS MiB and CPU seconds so far
  local name pid rss cpu
  for name in $(printf '%s\n' "${!pids[@]}" | sort); do
    pid=${pids[$name]}
    [ -r "/proc/$pid/stat" ] || continue
    rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14+$15)/hz}' "/proc/$pid/stat")
    printf '  %-11s RSS %4s MiB  CPU %6s s\n' "$name" "$rss" "$cpu"
  done
  for pid in $(pgrep -P "$(cat "$work/nginx.pid")") "$(cat "$work/nginx.pid")"; do
    printf '  nginx %-5s RSS %4s MiB  CPU %6s s\n' "$pid" "$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status")" \
      "$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14+$15)/hz}' "/proc/$pid/stat")"
  done
}

kill_scheduler_leader() { # prints the hand-over time in seconds, fails above one lease + one tick
  local old new t0 t1 limit
  old=$(leader)
  new=$(( 1 - old ))
  local before
  before=$(grep -c 'now the scheduler' "$work/scheduler$new.log" || true)
  t0=$(now)
  kill -KILL "${pids[scheduler$old]}"; wait "${pids[scheduler$old]}" 2> /dev/null || true
  unset "pids[scheduler$old]"
  limit=$(( 3 * 5 + 5 + 2 )) # lease 15 s (3 x sweep 5 s) + one tick + slack
  until [ "$(grep -c 'now the scheduler' "$work/scheduler$new.log")" -gt "$before" ]; do
    if [ "$(echo "$(now) - $t0 > $limit" | bc)" = 1 ]; then echo "scheduler: no hand-over within $limit s"; return 1; fi
    sleep 0.1
  done
  t1=$(now)
  handover=$(printf '%.1f' "$(echo "$t1 - $t0" | bc)")
  log "scheduler $old (leader) killed -> scheduler $new leads after $handover s (lease 15 s)"
  "$bin" scheduler >> "$work/scheduler$old.log" 2>&1 &
  pids[scheduler$old]=$!
}

kill_one_api() { # kill -9 api1, start it again after 10 s
  log "kill -9 api1 (pid ${pids[api1]})"
  kill -KILL "${pids[api1]}"; wait "${pids[api1]}" 2> /dev/null || true
  sleep 10
  start_api 1
  wait_ready "http://127.0.0.1:${api_ports[1]}/ready" 60
  log "api1 back"
}

rolling_restart() {
  local i t0
  for i in 0 1 2; do
    t0=$(now)
    kill -TERM "${pids[api$i]}"
    wait "${pids[api$i]}" 2> /dev/null || true
    start_api "$i"
    wait_ready "http://127.0.0.1:${api_ports[$i]}/ready" 60
    log "api$i restarted (drain + start $(printf '%.1f' "$(echo "$(now) - $t0" | bc)") s)"
  done
}

status=0
check() { # name, max ratio
  read -r n f ratio < <(run_totals "$1")
  log "$1: $n requests, $f failed ($(python3 -c "print(f'{$ratio:.3%}')"))"
  report_run "$1"
  if [ "$(echo "$ratio > $2" | bc -l)" = 1 ] || [ "$n" -eq 0 ]; then
    log "FAIL: $1 failure ratio $ratio above $2"; status=1
  fi
}

snapshot() { # -> "name rss_mib cpu_seconds" per process
  local name pid hz
  hz=$(getconf CLK_TCK)
  for name in $(printf '%s\n' "${!pids[@]}" | sort); do
    pid=${pids[$name]}
    [ -r "/proc/$pid/stat" ] || continue
    echo "$name $(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status") $(awk -v hz="$hz" '{printf "%.2f", ($14+$15)/hz}' "/proc/$pid/stat")"
  done
  local n=0
  for pid in "$(cat "$work/nginx.pid")" $(pgrep -P "$(cat "$work/nginx.pid")"); do
    echo "nginx$n $(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status") $(awk -v hz="$hz" '{printf "%.2f", ($14+$15)/hz}' "/proc/$pid/stat")"
    n=$((n + 1))
  done
}

if [ -n "$load" ]; then
  for u in $load; do
    secs=$(( phase_secs + u / spawn_rate ))
    log "load: $u users (spawn $spawn_rate/s), $secs s"
    snapshot | sort > "$work/before-$u"
    locust_run "load$u" "$u" "$secs"
    sleep $(( u / spawn_rate + 2 ))
    sample=0
    while kill -0 "$locust_pid" 2> /dev/null; do
      [ $((sample % 5)) = 0 ] && snapshot > "$work/peak-$u-$sample"
      lcpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/hz}' "/proc/$locust_pid/stat" 2> /dev/null || echo "${lcpu:-0}")
      sample=$((sample + 1)); sleep 1
    done
    wait "$locust_pid" || true
    snapshot | sort > "$work/after-$u"
    check "load$u" 1
    echo "  process     RSS MiB (max)  CPU % of a core (mean over the run)"
    cat "$work"/peak-$u-* "$work/after-$u" | sort -k1,1 -k2,2n | awk '{m[$1]=$2} END {for (k in m) print k, m[k]}' | sort > "$work/rss-$u"
    join "$work/before-$u" "$work/after-$u" | join - "$work/rss-$u" | \
      awk -v s="$secs" '{printf "  %-11s %6s       %6.1f\n", $1, $6, ($5 - $3) / s * 100}'
    printf '  %-11s %6s       %6.1f\n' locust - "$(echo "${lcpu:-0} / $secs * 100" | bc -l)"
  done
elif $quick; then
  log "quick: $users users, ${phase_secs} s: kill -9 one api, kill the scheduler leader, rolling restart"
  locust_run quick
  sleep 15   # after every user signed up
  kill_one_api
  kill_scheduler_leader
  rolling_restart
  wait "$locust_pid" || true
  check quick "$max_fail"
else
  log "phase 1: $users users, ${phase_secs} s, kill -9 one api replica"
  locust_run kill
  sleep $(( phase_secs / 3 ))
  kill_one_api
  wait "$locust_pid" || true
  check kill 0.001

  log "phase 2: $users users, ${phase_secs} s, kill the scheduler leader, then a rolling restart of all api replicas"
  locust_run rolling
  sleep 10
  kill_scheduler_leader
  rolling_restart
  wait "$locust_pid" || true
  check rolling 0
fi
log "processes at the end:"
usage

# PostgreSQL backup and restore (docs/operations.md): pg_dump the database the run filled, restore
# it into a new database, serve it with one api process and read what the load test wrote.
restore_db="${db}_restore"
t0=$(now)
pg_dump --format=custom --no-owner --no-privileges --file "$work/deals.dump" "$base_url"
psql -q "$pg_admin" -c "CREATE DATABASE \"$restore_db\"" > /dev/null
pg_restore --no-owner --no-privileges --exit-on-error --dbname "${pg_admin%/*}/$restore_db" "$work/deals.dump"
restore_port=$(free_port)
DEALS_DATABASE__URL="${pg_admin%/*}/$restore_db" DEALS_SERVER__LISTEN="127.0.0.1:$restore_port" \
  DEALS_REDIS__KEY_PREFIX="test:ha:$id:restore:" "$bin" serve --role api >> "$work/restore.log" 2>&1 &
pids[restore]=$!
wait_ready "http://127.0.0.1:$restore_port/ready" 60
users_src=$(psql -At "$base_url" -c "SELECT count(*) FROM users")
users_restored=$(psql -At "${pg_admin%/*}/$restore_db" -c "SELECT count(*) FROM users")
found=$(curl -fs "http://127.0.0.1:$restore_port/api/v1/deals/search?q=headphones" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
login=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"email":"demo@agentic-deals.local","password":"demo-password"}' "http://127.0.0.1:$restore_port/api/v1/auth/login")
log "pg_dump/pg_restore $(du -h "$work/deals.dump" | cut -f1) in $(printf '%.1f' "$(echo "$(now) - $t0" | bc)") s: users $users_src -> $users_restored, search on the restored copy $found deals, demo login $login"
kill -TERM "${pids[restore]}"; wait "${pids[restore]}" 2> /dev/null || true; unset "pids[restore]"
psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS \"$restore_db\" WITH (FORCE)" > /dev/null
if [ "$users_src" != "$users_restored" ] || [ "$found" -lt 1 ] || [ "$login" != 200 ]; then
  log "FAIL: the restored dump does not serve"; status=1
fi
grep -h '"level":"ERROR"' "$work"/api*.log | head -5 || true
[ "$status" = 0 ] && log "HA test passed" || log "HA test FAILED"
exit "$status"
