#!/usr/bin/env bash
# Porch's session store against the one the stack offers (tower-sessions-redis-store's RedisStore
# behind tower-sessions' layer: examples/session_store_baseline.rs), on the same call:
# `POST /api/session/page` recording a visit on one session, wrk -t2 -c50, 3 s warm-up, 10 s
# measured, each side on a fresh Redis of its own, alternating ROUNDS times (default 2).
#   bench/store.sh [ROUNDS]          (SKIP_BUILD=1 reuses target/release)
# Prints per run: requests per second, p99, the visits the session holds against the requests
# answered (what concurrent requests lost), and Redis commands executed per request (a script's
# own commands included).
source "$(dirname "$0")/../scripts/lib.sh"
apt_install_missing wrk:wrk redis-server:redis-server

ROUNDS=${1:-2}
APP_PORT=${APP_PORT:-3107}
REDIS_PORT=${REDIS_PORT:-6397}
source "$ROOT/bench/lib.sh"
export BENCH_DIR="$ROOT/bench" BENCH_ORIGIN="$BASE"
bench_start store
if [ "${SKIP_BUILD:-}" != 1 ]; then
  step "Building the baseline (examples/session_store_baseline.rs)"
  cargo build --release --features ssr --example session_store_baseline
fi

start_baseline() {
  env REDIS_URL="redis://127.0.0.1:$REDIS_PORT" BASELINE_ADDR="127.0.0.1:$APP_PORT" \
    target/release/examples/session_store_baseline &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "$BASE/api/session" >/dev/null && return; sleep 0.1; done
}

# measure LABEL COOKIE_NAME: the session is started by a first tracked visit.
measure() {
  local cookie
  cookie="$(curl -s -D - -o /dev/null -X POST "$BASE/api/session/page" -H 'content-type: application/json' \
    -H "Origin: $BASE" -d '{"page":"/first"}' | tr -d '\r' | sed -n "s/^[Ss]et-[Cc]ookie: \($2=[^;]*\).*/\1/p")"
  [ -n "$cookie" ] || { echo "no $2 cookie from $1" >&2; exit 1; }
  BENCH_COOKIE="$cookie" wrk -t2 -c50 -d3s -s "$BENCH_DIR/wrk/track-page.lua" "$BASE/api/session/page" >/dev/null 2>&1
  local before after line recorded warm
  warm="$(curl -s -H "Cookie: $cookie" "$BASE/api/session" | sed 's/.*"pageCount":\([0-9]*\).*/\1/')"
  before="$(redis-cli -p "$REDIS_PORT" info stats | tr -d '\r' | sed -n 's/^total_commands_processed://p')"
  line="$(BENCH_COOKIE="$cookie" wrk -t2 -c50 -d10s --latency -s "$BENCH_DIR/wrk/track-page.lua" "$BASE/api/session/page" | grep '^SUMMARY')"
  after="$(redis-cli -p "$REDIS_PORT" info stats | tr -d '\r' | sed -n 's/^total_commands_processed://p')"
  recorded="$(curl -s -H "Cookie: $cookie" "$BASE/api/session" | sed 's/.*"pageCount":\([0-9]*\).*/\1/')"
  local field; field() { sed "s/.*$1=\([^ ]*\).*/\1/" <<<"$line"; }
  local requests; requests="$(field requests)"
  printf '%-9s rps=%-9s p99_ms=%-7s non2xx=%-4s visits kept %s of %s  redis commands/request=%s\n' \
    "$1" "$(field rps)" "$(field p99_ms)" "$(field non2xx)" "$((recorded - warm))" "$requests" \
    "$(awk -v a="$after" -v b="$before" -v n="$requests" 'BEGIN { printf "%.2f", (a - b - 2) / n }')" | tee -a "$OUT/store.txt"
}

for round in $(seq "$ROUNDS"); do
  step "Round $round of $ROUNDS"
  redis_up
  start_app "$OUT/porch-$round.db" target/release/porch RATE_LIMIT_SESSIONS=100000000/1m
  measure porch session
  stop_app
  redis_up
  start_baseline
  measure baseline id
  stop_app
done
step "Results"
cat "$OUT/store.txt"
