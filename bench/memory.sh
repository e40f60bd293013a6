#!/usr/bin/env bash
# Memory with many live sessions: server RSS and Redis bytes per session.
#   bench/memory.sh       (SKIP_BUILD=1 reuses target/release; GUESTS=10000 USERS=1000 to change)
# Starts the release build on a Redis this script owns, measures both at rest, creates GUESTS
# guest sessions (one page view each) and USERS signed-in sessions (signed in, then one page
# view, so each holds its copy of the user), and measures again.
source "$(dirname "$0")/../scripts/lib.sh"
apt_install_missing redis-server:redis-server curl:curl

APP_PORT=${APP_PORT:-3105}
REDIS_PORT=${REDIS_PORT:-6395}
GUESTS=${GUESTS:-10000}
USERS=${USERS:-1000}
BASE="http://127.0.0.1:$APP_PORT"
OUT="$(mktemp -d -t porch-memory.XXXXXX)"

if [ "${SKIP_BUILD:-}" != 1 ]; then
  step "Building the release (cargo leptos build --release)"
  cargo leptos build --release
fi

SERVER=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$OUT"
}
trap cleanup EXIT

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
REDIS_URL="redis://127.0.0.1:$REDIS_PORT" DATABASE_URL="sqlite://$OUT/porch.db" \
  RATE_LIMIT_SESSIONS=100000000/1m RATE_LIMIT_SIGN_IN=100000000/1m RATE_LIMIT_REGISTER=100000000/1m \
  LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$APP_PORT" RUST_LOG=error target/release/porch &
SERVER=$!
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SERVER/status"; }
hwm_kib() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SERVER/status"; }
redis_bytes() { redis-cli -p "$REDIS_PORT" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }

# One warm-up page so the figures at rest include the first render's allocations.
curl -s -o /dev/null "$BASE/"
redis-cli -p "$REDIS_PORT" flushall >/dev/null
RSS0=$(rss_kib) REDIS0=$(redis_bytes)

step "Creating $GUESTS guest sessions"
python3 - "$BASE" "$GUESTS" guests <<'PY'
import sys, urllib.request, concurrent.futures as cf
base, n = sys.argv[1], int(sys.argv[2])
def visit(_):
    with urllib.request.urlopen(base + "/") as r:
        assert r.status == 200 and r.headers.get("set-cookie", "").startswith("session=")
with cf.ThreadPoolExecutor(8) as pool:
    list(pool.map(visit, range(n)))
PY
RSS1=$(rss_kib) REDIS1=$(redis_bytes) KEYS1=$(redis-cli -p "$REDIS_PORT" dbsize)

step "Creating $USERS signed-in sessions"
python3 - "$BASE" "$USERS" <<'PY'
import sys, json, urllib.request, concurrent.futures as cf
base, n = sys.argv[1], int(sys.argv[2])
email, password = "memory-bench@example.com", "correct horse battery"
def post(path, body, cookie=None):
    headers = {"content-type": "application/json"}
    if cookie: headers["cookie"] = cookie
    req = urllib.request.Request(base + path, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(req) as r:
        cookies = [c.split(";")[0] for c in r.headers.get_all("set-cookie") or []]
        return next(c for c in cookies if c.startswith("session="))
post("/api/auth/register", {"name": "Bench", "email": email, "password": password})
def device(_):
    cookie = post("/api/auth/login", {"email": email, "password": password})
    req = urllib.request.Request(base + "/", headers={"cookie": cookie})
    with urllib.request.urlopen(req) as r:
        assert b"Bench" in r.read()
with cf.ThreadPoolExecutor(4) as pool:
    list(pool.map(device, range(n)))
PY
# The copies of the user are stored just after each page; give the last ones a moment.
for _ in $(seq 50); do
  [ "$(redis-cli -p "$REDIS_PORT" --scan --pattern '*:v' | wc -l)" -ge "$USERS" ] && break
  sleep 0.1
done
RSS2=$(rss_kib) REDIS2=$(redis_bytes) KEYS2=$(redis-cli -p "$REDIS_PORT" dbsize)

step "One signed-in session's keys (MEMORY USAGE, bytes)"
VIEW_KEY="$(redis-cli -p "$REDIS_PORT" --scan --pattern '*:v' | awk 'NR == 1')"
SESSION_KEY="${VIEW_KEY%:v}"
for key in "$SESSION_KEY" "$SESSION_KEY:a" "$SESSION_KEY:p" "$VIEW_KEY"; do
  printf '%6s  %s\n' "$(redis-cli -p "$REDIS_PORT" memory usage "$key")" "$key"
done
for key in $(redis-cli -p "$REDIS_PORT" --scan --pattern '*expiries*'; redis-cli -p "$REDIS_PORT" --scan --pattern '*u:*'); do
  printf '%6s  %s (%s entries)\n' "$(redis-cli -p "$REDIS_PORT" memory usage "$key" samples 0)" "$key" \
    "$(redis-cli -p "$REDIS_PORT" type "$key" | sed 's/zset/zcard/;s/hash/hlen/' | xargs -I{} redis-cli -p "$REDIS_PORT" {} "$key")"
done

step "Results"
awk -v g="$GUESTS" -v u="$USERS" -v r0="$RSS0" -v r1="$RSS1" -v r2="$RSS2" -v hwm="$(hwm_kib)" \
  -v m0="$REDIS0" -v m1="$REDIS1" -v m2="$REDIS2" -v k1="$KEYS1" -v k2="$KEYS2" 'BEGIN {
  printf "server RSS at rest              %7.1f MiB\n", r0 / 1024
  printf "server RSS, %5d guests         %7.1f MiB\n", g, r1 / 1024
  printf "server RSS, + %4d signed in     %7.1f MiB (peak %.1f MiB)\n", u, r2 / 1024, hwm / 1024
  printf "Redis per guest session         %7.0f B  (%d keys for %d sessions)\n", (m1 - m0) / g, k1, g
  printf "Redis per signed-in session     %7.0f B  (%d keys more)\n", (m2 - m1) / u, k2 - k1
}'
