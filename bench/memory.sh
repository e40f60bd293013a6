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
source "$ROOT/bench/lib.sh"
bench_start memory

redis_up
start_app "$OUT/porch.db" target/release/porch \
  RATE_LIMIT_SESSIONS=100000000/1m RATE_LIMIT_SIGN_IN=100000000/1m RATE_LIMIT_REGISTER=100000000/1m

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
first = post("/api/auth/register", {"name": "Bench", "email": email, "password": password})
# Notices off: every sign-in below would otherwise leave one on each earlier session (at most
# NOTICES_KEPT each); their cost is measured on its own below.
req = urllib.request.Request(base + "/api/preferences", json.dumps({"notifications": False}).encode(),
                             {"content-type": "application/json", "cookie": first, "origin": base}, method="POST")
urllib.request.urlopen(req).read()
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
    "$(redis-cli -p "$REDIS_PORT" type "$key" | sed 's/zset/zcard/;s/hash/hlen/;s/^set$/scard/' | xargs -I{} redis-cli -p "$REDIS_PORT" {} "$key")"
done

step "Notifications on, one more sign-in: a notice on each of the $USERS sessions"
python3 - "$BASE" <<'PY'
import sys, json, urllib.request
base = sys.argv[1]
email, password = "memory-bench@example.com", "correct horse battery"
def post(path, body, cookie=None):
    headers = {"content-type": "application/json", "origin": base}
    if cookie: headers["cookie"] = cookie
    with urllib.request.urlopen(urllib.request.Request(base + path, json.dumps(body).encode(), headers, method="POST")) as r:
        return next((c.split(";")[0] for c in r.headers.get_all("set-cookie") or [] if c.startswith("session=")), None)
cookie = post("/api/auth/login", {"email": email, "password": password})
post("/api/preferences", {"notifications": True}, cookie)
post("/api/auth/login", {"email": email, "password": password})
PY
REDIS3=$(redis_bytes)
NOTICE_KEY="$(redis-cli -p "$REDIS_PORT" --scan --pattern '*:n' | awk 'NR == 1')"
printf '%6s  %s\n' "$(redis-cli -p "$REDIS_PORT" memory usage "$NOTICE_KEY")" "$NOTICE_KEY"

step "Results"
awk -v g="$GUESTS" -v u="$USERS" -v r0="$RSS0" -v r1="$RSS1" -v r2="$RSS2" -v hwm="$(hwm_kib)" \
  -v m0="$REDIS0" -v m1="$REDIS1" -v m2="$REDIS2" -v m3="$REDIS3" -v k1="$KEYS1" -v k2="$KEYS2" 'BEGIN {
  printf "server RSS at rest              %7.1f MiB\n", r0 / 1024
  printf "server RSS, %5d guests         %7.1f MiB\n", g, r1 / 1024
  printf "server RSS, + %4d signed in     %7.1f MiB (peak %.1f MiB)\n", u, r2 / 1024, hwm / 1024
  printf "Redis per guest session         %7.0f B  (%d keys for %d sessions)\n", (m1 - m0) / g, k1, g
  printf "Redis per signed-in session     %7.0f B  (%d keys more)\n", (m2 - m1) / u, k2 - k1
  printf "Redis per notice                %7.0f B  (at most 10 kept per session)\n", (m3 - m2) / (u + 1)
}'
