#!/usr/bin/env bash
# Background-job numbers for docs/performance.md ("Background jobs"): one worker's throughput and
# enqueue-to-start latency with the database (and so the job queue) on SQLite and PostgreSQL, and
# the discovery flow's end-to-end time on the default `deals serve`. PROFILE=release for release
# builds. Needs PostgreSQL (DEALS_BENCH_PG, default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-debug}"
flag=(); [ "$profile" = release ] && flag=(--release)
cargo build "${flag[@]}" -p deals-app --bin deals --example jobs_bench
bench="target/$profile/examples/jobs_bench"
for backend in sqlite postgres; do "$bench" throughput "$backend"; done
for _ in 1 2 3; do "$bench" discovery; done
