#!/usr/bin/env bash
# Fault scenarios under load, against a release build and a Redis this script owns.
#   bench/faults.sh                 (SKIP_BUILD=1 reuses target/release; needs wrk)
# For each scenario it prints: requests, 5xx on the public page, requests served to a revoked
# session (must be 0), and the time from Redis coming back to the first successful sign-in.
source "$(dirname "$0")/../scripts/lib.sh"
apt_install_missing wrk:wrk redis-server:redis-server

if [ "${SKIP_BUILD:-}" != 1 ]; then
  ensure_rust_tools
  step "Building the release (cargo leptos build --release --precompress --split)"
  (use_release_flags && cargo leptos build --release --precompress --split)
fi

APP_PORT=${APP_PORT:-3102}
REDIS_PORT=${REDIS_PORT:-6391}
source "$ROOT/bench/lib.sh"
DB="$(mktemp -d)/faults.db"
now_ms() { date +%s%3N; }

redis_up
step "Starting target/release/porch on :$APP_PORT with its own Redis on :$REDIS_PORT"
trap 'stop_app; redis_down' EXIT
start_app "$DB" target/release/porch RATE_LIMIT_SESSIONS=1000000/1m

EMAIL="faults-$$@example.com"
PASSWORD="correct horse battery"
LOGIN_BODY="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
curl -sf -o /dev/null -X POST "$BASE/api/auth/register" -H 'content-type: application/json' \
  -d "{\"name\":\"Faults\",\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
GUEST="$(curl -s -D - -o /dev/null "$BASE/" | session_of)"
MINE="$(curl -s -D - -o /dev/null -X POST "$BASE/api/auth/login" -H 'content-type: application/json' -d "$LOGIN_BODY" | session_of)"
REVOKED="$(curl -s -D - -o /dev/null -X POST "$BASE/api/auth/login" -H 'content-type: application/json' -d "$LOGIN_BODY" | session_of)"
HANDLE="$(curl -s -H "Cookie: $REVOKED" "$BASE/api/auth/sessions" | python3 -c 'import json,sys; print(next(s["id"] for s in json.load(sys.stdin) if s["current"]))')"
curl -sf -o /dev/null -X DELETE -H "Cookie: $MINE" -H "Origin: $BASE" "$BASE/api/auth/sessions/$HANDLE"

# Load on the public page (a guest) and on a revoked session's profile, for $1 seconds, in
# the background (their pids in LOAD_PIDS).
load() {
  wrk -t1 -c20 -d"$1" -s bench/statuses.lua -H "Cookie: $GUEST" "$BASE/" > /tmp/faults-public.txt &
  LOAD_PIDS="$!"
  wrk -t1 -c4 -d"$1" -s bench/statuses.lua -H "Cookie: $REVOKED" "$BASE/api/auth/profile" > /tmp/faults-revoked.txt &
  LOAD_PIDS="$LOAD_PIDS $!"
}
report() {
  local scenario=$1 recovery=$2
  # shellcheck disable=SC2086
  wait $LOAD_PIDS
  local pub rev
  pub="$(grep RESULT /tmp/faults-public.txt)"
  rev="$(grep RESULT /tmp/faults-revoked.txt)"
  printf '%-16s requests=%-7s public_5xx=%-5s revoked_served=%-3s public_p99_ms=%-7s public_max_ms=%-7s recovery_ms=%s\n' \
    "$scenario" "$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$pub")" "$(sed 's/.* 5xx=\([0-9]*\).*/\1/' <<<"$pub")" \
    "$(sed 's/.*2xx\/3xx=\([0-9]*\).*/\1/' <<<"$rev")" "$(sed 's/.*p99_ms=\([0-9.]*\).*/\1/' <<<"$pub")" \
    "$(sed 's/.*max_ms=\([0-9.]*\).*/\1/' <<<"$pub")" "$recovery"
}
# Milliseconds from now until a sign-in succeeds.
time_to_sign_in() {
  local start; start=$(now_ms)
  until [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/api/auth/login" -H 'content-type: application/json' -d "$LOGIN_BODY")" = 200 ]; do
    sleep 0.05
    if [ $(( $(now_ms) - start )) -gt 30000 ]; then echo "none(>30s)"; return; fi
  done
  echo $(( $(now_ms) - start ))
}

step "Scenarios (10 s of load each; 20 connections on GET /, 4 on a revoked session's profile)"
load 10s; report "baseline" "-"

load 10s; sleep 3; redis_down; sleep 0.5; redis_up
recovery=$(time_to_sign_in); report "redis-restart" "$recovery"

load 10s; sleep 3; redis-cli -p "$REDIS_PORT" client pause 3000 all >/dev/null
recovery=$(time_to_sign_in); report "redis-pause-3s" "$recovery"

load 10s; sleep 2; redis_down; sleep 5; redis_up
recovery=$(time_to_sign_in); report "redis-down-5s" "$recovery"
