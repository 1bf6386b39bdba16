#!/usr/bin/env bash
# A throw-away 3-master Redis Cluster from the installed redis-server, on free loopback ports, in
# a temporary directory (no persistence). For the Redis Cluster tests and for trying
# `redis.cluster_urls` locally.
#
#   scripts/redis-cluster.sh start [DIR]   # prints the seed URLs, comma-separated (also in DIR/urls)
#   scripts/redis-cluster.sh stop  [DIR]   # stops the three servers started in DIR, removes DIR
#
#   export DEALS_TEST_REDIS_CLUSTER_URLS=$(scripts/redis-cluster.sh start /tmp/deals-cluster)
#   DEALS_TEST_BACKEND=postgres cargo test -p deals-app --test api redis_cluster
#   scripts/redis-cluster.sh stop /tmp/deals-cluster
set -euo pipefail
cmd=${1:-}
dir=${2:-${TMPDIR:-/tmp}/deals-redis-cluster}

free_ports() {
  # Three ports p whose cluster-bus port p+10000 is free too.
  python3 - <<'PY'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
found = []
for p in random.sample(range(20000, 30000), 2000):
    if free(p) and free(p + 10000):
        found.append(p)
    if len(found) == 3:
        break
print(" ".join(map(str, found)))
PY
}

case "$cmd" in
  start)
    if [ -f "$dir/urls" ]; then echo "a cluster already runs from $dir (stop it first)" >&2; exit 1; fi
    mkdir -p "$dir"
    read -r -a ports <<< "$(free_ports)"
    [ "${#ports[@]}" -eq 3 ] || { echo "no free ports found" >&2; exit 1; }
    for p in "${ports[@]}"; do
      mkdir -p "$dir/$p"
      redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes \
        --cluster-config-file "$dir/$p/nodes.conf" --cluster-node-timeout 2000 \
        --dir "$dir/$p" --save '' --appendonly no --daemonize yes \
        --pidfile "$dir/$p/redis.pid" --logfile "$dir/$p/redis.log" > /dev/null
    done
    for p in "${ports[@]}"; do
      for _ in $(seq 1 50); do
        [ "$(redis-cli -p "$p" ping 2> /dev/null)" = "PONG" ] && break
        sleep 0.1
      done
    done
    redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes > "$dir/create.log"
    for _ in $(seq 1 100); do
      ok=0
      for p in "${ports[@]}"; do
        redis-cli -p "$p" cluster info | grep -q '^cluster_state:ok' && ok=$((ok + 1))
      done
      [ "$ok" -eq 3 ] && break
      sleep 0.1
    done
    [ "$ok" -eq 3 ] || { echo "cluster did not become ready; see $dir/create.log" >&2; exit 1; }
    urls=$(printf 'redis://127.0.0.1:%s,' "${ports[@]}")
    urls=${urls%,}
    echo "$urls" > "$dir/urls"
    echo "$urls"
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    for pidfile in "$dir"/*/redis.pid; do
      [ -f "$pidfile" ] || continue
      kill "$(cat "$pidfile")" 2> /dev/null || true
    done
    sleep 0.3
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop [DIR]" >&2
    exit 2
    ;;
esac
