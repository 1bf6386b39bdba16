#!/usr/bin/env bash
# Background-job numbers for docs/performance.md ("Background jobs"): one worker's throughput and
# enqueue-to-start latency with the queue on SQLite, PostgreSQL and Redis, and the discovery
# flow's end-to-end time on the default `deals serve`. PROFILE=release for release builds.
# Needs PostgreSQL (DEALS_BENCH_PG, default postgres://postgres@127.0.0.1:5432/test) and Redis
# (DEALS_BENCH_REDIS, default redis://127.0.0.1:6379).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-debug}"
flag=(); [ "$profile" = release ] && flag=(--release)
cargo build "${flag[@]}" -p deals-app --bin deals --example jobs_bench
bench="target/$profile/examples/jobs_bench"
for backend in sqlite postgres redis; do "$bench" throughput "$backend"; done
for _ in 1 2 3; do "$bench" discovery; done
