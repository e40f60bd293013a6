# Shared by the bench scripts, sourced after scripts/lib.sh once APP_PORT and REDIS_PORT are set:
# a Redis of the script's own, the server under test, and reading session cookies.

BASE="http://127.0.0.1:$APP_PORT"
SERVER=

redis_down() { redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; }

# A fresh, empty Redis on $REDIS_PORT, without persistence.
redis_up() {
  redis_down
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null
  for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 0.05; done
}

# start_app DATABASE_FILE BINARY [VAR=value…]: the server on $APP_PORT with that Redis and a
# SQLite database, extra settings as given; returns once it answers, its pid in $SERVER.
start_app() {
  local db=$1 binary=$2
  shift 2
  env REDIS_URL="redis://127.0.0.1:$REDIS_PORT" DATABASE_URL="sqlite://$db" \
    LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$APP_PORT" RUST_LOG=error "$@" "$binary" &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && return; sleep 0.1; done
}

stop_app() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  fi
  SERVER=
}

# The `session=…` cookie of a response's headers (curl -D -).
session_of() { tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(session=[^;]*\).*/\1/p'; }

# bench_start NAME: a scratch directory in $OUT, removed at exit with the server and Redis
# stopped; the release built first unless SKIP_BUILD=1.
bench_start() {
  OUT="$(mktemp -d -t "porch-$1.XXXXXX")"
  trap 'stop_app; redis_down; rm -rf "$OUT"' EXIT
  if [ "${SKIP_BUILD:-}" != 1 ]; then
    ensure_rust_tools
    step "Building the release (cargo leptos build --release --precompress --split)"
    (use_release_flags && cargo leptos build --release --precompress --split)
  fi
}
