#!/usr/bin/env bash
# Instructions per page view, counted by callgrind: repeatable on a noisy machine where wrk's
# figures drift more than the differences being measured.
#   bench/callgrind.sh BINARY [signed-in|guest]
# The server runs under `valgrind --tool=callgrind` with a Redis and a SQLite database of its own;
# one account (signed-in) or one guest with a session and the cookies of a preferences save
# (guest) asks `GET /` (Accept: text/html) N times; per request = (Ir at 600 − Ir at 100) / 500,
# so start-up and the sign-up cancel out. Prints that figure.
source "$(dirname "$0")/../scripts/lib.sh"
apt_install_missing valgrind:valgrind redis-server:redis-server
BINARY=${1:?usage: bench/callgrind.sh BINARY [signed-in|guest]}
SCENARIO=${2:-signed-in}
APP_PORT=${APP_PORT:-3210}
REDIS_PORT=${REDIS_PORT:-6410}
source "$ROOT/bench/lib.sh"
OUT="$(mktemp -d -t porch-callgrind.XXXXXX)"
trap 'stop_app; redis_down' EXIT

cookies() { tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | paste -sd';' - | sed 's/;/; /g'; }

# total_instructions N: the whole run's instruction count with N page views.
total_instructions() {
  redis_up
  rm -f "$OUT/porch.db" "$OUT/callgrind.out"
  env REDIS_URL="redis://127.0.0.1:$REDIS_PORT" DATABASE_URL="sqlite://$OUT/porch.db?mode=rwc" \
    LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$APP_PORT" RUST_LOG=error \
    RATE_LIMIT_SESSIONS=100000000/1m \
    valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" "$BINARY" >/dev/null 2>&1 &
  SERVER=$!
  # Under valgrind start-up takes seconds.
  for _ in $(seq 600); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.2; done
  local cookie
  if [ "$SCENARIO" = guest ]; then
    cookie="$(curl -s -D - -o /dev/null "$BASE/" | cookies); $(curl -s -D - -o /dev/null -X POST "$BASE/api/preferences" \
      -H 'content-type: application/json' -d '{"theme":"dark","language":"fr","notifications":false}' | cookies)"
  else
    cookie="$(curl -s -D - -o /dev/null -X POST "$BASE/api/auth/register" -H 'content-type: application/json' \
      -d '{"name":"Bench","email":"callgrind@example.com","password":"correct horse battery"}' | session_of)"
  fi
  for _ in $(seq "$1"); do curl -s -o /dev/null -H "Cookie: $cookie" -H 'accept: text/html' "$BASE/"; done
  stop_app
  sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$OUT/callgrind.out" | head -1
}

step "$SCENARIO: 100 page views under callgrind"
small=$(total_instructions 100)
step "$SCENARIO: 600 page views under callgrind"
large=$(total_instructions 600)
echo "$SCENARIO GET /: $(( (large - small) / 500 )) instructions per request ($BINARY)"
