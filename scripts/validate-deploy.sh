#!/usr/bin/env bash
# Offline validation of the deployment files (called by .ci/run; ~20 s once the tools are in):
#   - deploy/nginx/nginx.conf         nginx -t (Debian nginx-light), with local upstreams
#   - deploy/prometheus/alerts.yml    promtool check rules + promtool test rules (Debian prometheus)
#   - deploy/k8s/*.yaml               kubernetes-validate --strict (PyPI, ships the 1.31 schemas)
#   - deploy/compose.yaml             docker-compose config (Debian docker-compose, no engine needed)
#   - .github/workflows/ci.yml        check-jsonschema against its vendored GitHub workflow schema
#   - deploy/grafana/deals.json       JSON, and every deals_* metric it or the alerts use is one
#                                     the app exports (the names agreed in docs/operations.md)
#   - Dockerfile                      parsed by BuildKit's parser (PyPI `dockerfile`): two stages,
#                                     non-root USER, HEALTHCHECK on /health, ENTRYPOINT deals
#   - loadtest/locustfile.py          parses
# Installs what is missing: Debian packages with apt-get, Python tools pinned in target/validate-venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nginx > /dev/null || need_apt+=(nginx-light)
command -v promtool > /dev/null || need_apt+=(prometheus)
command -v docker-compose > /dev/null || need_apt+=(docker-compose)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" > /dev/null
fi
venv=target/validate-venv
if [ ! -f "$venv/.v2" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'kubernetes-validate==1.31.0' 'check-jsonschema==0.29.4' 'dockerfile==3.4.0'
  touch "$venv/.v2"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "-- nginx -t"
sed -e 's|server api-\([123]\):8000|server 127.0.0.1:800\1|' -e "s|listen 8080;|listen 127.0.0.1:18080;|" \
  -e "s|/dev/stdout|$tmp/access.log|" -e "s|/dev/stderr|$tmp/error.log|" deploy/nginx/nginx.conf > "$tmp/nginx.conf"
nginx -t -q -p "$tmp" -c "$tmp/nginx.conf" -g "pid $tmp/nginx.pid;"

echo "-- promtool"
promtool check rules deploy/prometheus/alerts.yml
promtool check config --syntax-only deploy/prometheus/prometheus.yml
(cd deploy/prometheus && promtool test rules alerts.test.yml)

echo "-- kubernetes-validate"
"$venv/bin/kubernetes-validate" --strict --quiet -k 1.31.0 deploy/k8s/*.yaml

echo "-- docker-compose config"
docker-compose -f deploy/compose.yaml --env-file deploy/.env.example config -q

echo "-- GitHub workflow schema"
"$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/ci.yml

echo "-- Grafana dashboard and metric names"
python3 - << 'PY'
import json, re
known = {
    # existing
    "http_requests_total", "http_server_errors_total", "http_request_duration_seconds",
    "deals_jobs_succeeded_total", "deals_jobs_failed_total", "deals_jobs_dead_total",
    "deals_job_duration_seconds", "deals_queue_depth", "ws_connections", "ws_frames_sent_total",
    "ws_frames_dropped_total", "notification_deliveries_total", "live_subscription_drops_total",
    # agreed for the dashboard and alerts
    "deals_request_latency_seconds", "deals_error_rate", "deals_active_users",
    "deals_websocket_connections", "deals_deal_count", "deals_process_cpu_seconds_total",
    "deals_process_resident_memory_bytes", "deals_process_open_fds", "deals_db_pool_connections",
    "deals_redis_up", "deals_database_up", "deals_jobs", "deals_market_up",
}
dash = json.load(open("deploy/grafana/deals.json"))
exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
assert exprs, "the dashboard has no queries"
exprs += re.findall(r"expr: (.*(?:\n {10,}.*)*)", open("deploy/prometheus/alerts.yml").read())
unknown = set()
for e in exprs:
    for name in re.findall(r"\b((?:deals|http|ws)_[a-z_]+)", e):
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        if name not in known and base not in known:
            unknown.add(name)
assert not unknown, f"metrics the app does not export: {sorted(unknown)}"
print(f"{len(dash['panels'])} panels, {len(exprs)} queries, metric names known")
PY

echo "-- Dockerfile"
"$venv/bin/python" - << 'PY'
import dockerfile
cmds = dockerfile.parse_file("Dockerfile")
kinds = [c.cmd for c in cmds]
assert kinds.count("FROM") >= 2, "multi-stage: two FROM"
last = max(i for i, k in enumerate(kinds) if k == "FROM")
final = cmds[last:]
users = [c.value[0] for c in final if c.cmd == "USER"]
assert users and not users[-1].split(":")[0] in ("root", "0"), "the final stage runs as a non-root user"
assert any(c.cmd == "HEALTHCHECK" and "/health" in " ".join(c.value) for c in final), "HEALTHCHECK on /health"
assert any(c.cmd == "ENTRYPOINT" and c.value[0] == "deals" for c in final), "ENTRYPOINT deals"
print(f"{len(cmds)} instructions, {kinds.count('FROM')} stages, user {users[-1]}")
PY

echo "-- locustfile"
python3 -c "import ast,sys; ast.parse(open(sys.argv[1]).read())" loadtest/locustfile.py
echo "deployment files valid"
