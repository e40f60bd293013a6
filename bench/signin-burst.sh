#!/usr/bin/env bash
# Sign-in throughput, and what a burst of sign-ins does to page views.
#   bench/signin-burst.sh            (builds the release first; needs wrk and a Redis on :6379)
# Prints sign-ins per second, and page-view p50/p99 with and without a concurrent sign-in burst.
source "$(dirname "$0")/../scripts/lib.sh"
apt_install_missing wrk:wrk
ensure_redis

if [ "${SKIP_BUILD:-}" != 1 ]; then
  ensure_rust_tools
  step "Building the release (cargo leptos build --release --precompress --split)"
  (use_release_flags && cargo leptos build --release --precompress --split)
fi

PORT=${PORT:-3100}
PREFIX="bench:$$:"
DB="$(mktemp -d)/bench.db"
step "Starting target/release/porch on :$PORT (Redis prefix $PREFIX, SQLite $DB)"
REDIS_URL=redis://127.0.0.1:6379 REDIS_KEY_PREFIX="$PREFIX" DATABASE_URL="sqlite://$DB" \
  LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$PORT" RUST_LOG=warn target/release/porch &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; redis-cli --scan --pattern "${PREFIX}*" | xargs -r -n 500 redis-cli del >/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break; sleep 0.1; done

export BENCH_EMAIL="bench-$$@example.com" BENCH_PASSWORD="correct horse battery"
curl -sf -o /dev/null -X POST "http://127.0.0.1:$PORT/api/auth/register" -H 'content-type: application/json' \
  -d "{\"name\":\"Bench\",\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}"
COOKIE="$(curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/" | sed -n 's/^set-cookie: \(session=[^;]*\).*/\1/ip')"

page_views() {
  wrk -t2 -c50 -d"$1" --latency -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/" | grep -E "Requests/sec|^ +50%|^ +99%"
}

step "Page views alone (guest session, GET /, 50 connections, 10 s)"
page_views 10s
step "Sign-ins alone (POST /api/auth/login, 8 connections, 10 s)"
wrk -t2 -c8 -d10s -s bench/login.lua "http://127.0.0.1:$PORT/api/auth/login" | grep -E "Requests/sec|Latency|sign-ins"
step "Page views during a sign-in burst (both at once, 10 s)"
wrk -t1 -c8 -d12s -s bench/login.lua "http://127.0.0.1:$PORT/api/auth/login" > /tmp/porch-burst.txt &
BURST=$!
sleep 1
page_views 10s
wait $BURST
grep -E "Requests/sec|sign-ins" /tmp/porch-burst.txt
