# syntax=docker/dockerfile:1
# Multi-stage build of the `deals` binary.
#   docker build -t agentic-deals .
#   docker run --rm -p 8000:8000 -e DEALS_SERVER__LISTEN=0.0.0.0:8000 agentic-deals serve
# The entrypoint is `deals`; the command picks the role: `serve --role api`, `worker`,
# `scheduler`, `migrate`, `backup --to FILE`, ... (deploy/compose.yaml, deploy/k8s/).

# ---- build: the toolchain the workspace is built and tested with (1.95; sqlx 0.9 needs >= 1.94) ----
FROM rust:1.95-slim-bookworm AS build
# jemalloc (the binary's allocator, tikv-jemalloc-sys) is built from C with configure + make.
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so they are cached while only the workspace's sources change.
COPY Cargo.toml Cargo.lock ./
COPY crates crates
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p deals-app \
    && cp target/release/deals /usr/local/bin/deals

# ---- run: slim Debian, non-root ----
FROM debian:bookworm-slim AS run
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 deals \
    && useradd --system --uid 10001 --gid deals --home-dir /var/lib/deals --create-home deals
COPY --from=build /usr/local/bin/deals /usr/local/bin/deals
USER 10001:10001
WORKDIR /var/lib/deals
ENV DEALS_DATA_DIR=/var/lib/deals \
    DEALS_SERVER__LISTEN=0.0.0.0:8000 \
    DEALS_LOG__FORMAT=json
EXPOSE 8000
# Liveness of an api/serve container (workers and the scheduler serve no HTTP: compose and k8s
# replace this check for them).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/health || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["deals"]
CMD ["serve", "--role", "api"]
