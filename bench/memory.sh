#!/usr/bin/env bash
# Memory with many live sessions: server RSS and Redis bytes per session.
#   bench/memory.sh       (SKIP_BUILD=1 reuses target/release; GUESTS=10000 USERS=1000 to change)
# Starts the release build on a Redis this script owns, measures both at rest, creates GUESTS
# guest sessions (one page view each), then USERS signed-in sessions through the browser's
# sign-in form and USERS more through the JSON API (each then viewing a page), measuring after
# each step. Redis bytes per session leave out the growth of Redis's key tables (bucket arrays
# that double when the key count passes a power of two: a step shared by all keys, not a cost
# of the sessions added when it happens); that growth is printed beside them.
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
# Redis finishes resizing its key tables in the background (a few 100 ms ticks): measured after.
settle() { sleep 1; }
settle
RSS1=$(rss_kib) REDIS1=$(redis_bytes) KEYS1=$(redis-cli -p "$REDIS_PORT" dbsize)

# The key tables' bucket arrays (Redis doubles them when the key count passes a power of two):
# bytes of `MEMORY STATS` db.0 overhead beyond the 24-byte entry each key has in each table.
table_bytes() {
  redis-cli -p "$REDIS_PORT" memory stats | awk '
    prev == "overhead.hashtable.main" || prev == "overhead.hashtable.expires" { sum += $1 }
    { prev = $1 } END { print sum + 0 }'
}
key_entries() { # keys plus keys with a TTL: one table entry each
  redis-cli -p "$REDIS_PORT" info keyspace | tr -d '\r' | sed -n 's/^db0:keys=\([0-9]*\),expires=\([0-9]*\).*/\1 \2/p' | awk '{ print $1 + $2 }'
}
table_growth() { echo $(( $(table_bytes) - 24 * $(key_entries) )); }
TABLE1=$(table_growth)

# sign_in_sessions KIND: USERS sessions of one user signed in through the browser's form
# (KIND=browser: `POST /api/fn/login`, cookie only) or the JSON API (KIND=api:
# `POST /api/auth/login`, which also issues a bearer token), each then viewing a page.
sign_in_sessions() {
python3 - "$BASE" "$USERS" "$1" <<'PY'
import sys, json, urllib.request, urllib.error, urllib.parse, concurrent.futures as cf
base, n, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
email, password = "memory-bench@example.com", "correct horse battery"
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None
opener = urllib.request.build_opener(NoRedirect)
def session_cookie(headers):
    cookies = [c.split(";")[0] for c in headers.get_all("set-cookie") or []]
    return next((c for c in cookies if c.startswith("session=")), None)
def post(path, body, cookie=None):
    headers = {"content-type": "application/json", "origin": base}
    if cookie: headers["cookie"] = cookie
    req = urllib.request.Request(base + path, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(req) as r:
        return session_cookie(r.headers)
# A browser's sessions carry what a browser sends; the API's, what a script does.
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
def form_sign_in():
    body = urllib.parse.urlencode({"email": email, "password": password}).encode()
    req = urllib.request.Request(base + "/api/fn/login", body,
                                 {"content-type": "application/x-www-form-urlencoded", "origin": base,
                                  "accept": "text/html", "referer": base + "/login", "user-agent": BROWSER},
                                 method="POST")
    try:
        opener.open(req)
    except urllib.error.HTTPError as e:  # the redirect to the next page, not followed
        assert e.code in (302, 303), e.code
        return session_cookie(e.headers)
    raise AssertionError("no redirect after the sign-in form")
try:
    first = post("/api/auth/register", {"name": "Bench", "email": email, "password": password})
    # Notices off: every sign-in below would otherwise leave one on each earlier session (at most
    # NOTICES_KEPT each); their cost is measured on its own below.
    post("/api/preferences", {"notifications": False}, first)
except urllib.error.HTTPError as e:
    assert e.code == 409, e.code  # registered for the first kind already
def device(_):
    cookie = form_sign_in() if kind == "browser" else post("/api/auth/login", {"email": email, "password": password})
    agent = {"user-agent": BROWSER} if kind == "browser" else {}
    req = urllib.request.Request(base + "/", headers={"cookie": cookie, **agent})
    with urllib.request.urlopen(req) as r:
        assert b"Bench" in r.read()
with cf.ThreadPoolExecutor(4) as pool:
    list(pool.map(device, range(n)))
PY
}

step "Creating $USERS signed-in sessions (browser sign-in form)"
sign_in_sessions browser
# The user's copy, shared by their sessions, is stored just after their first page.
for _ in $(seq 50); do
  [ -n "$(redis-cli -p "$REDIS_PORT" --scan --pattern '*uv:*' | head -1)" ] && break
  sleep 0.1
done
settle
RSS2=$(rss_kib) REDIS2=$(redis_bytes) KEYS2=$(redis-cli -p "$REDIS_PORT" dbsize) TABLE2=$(table_growth)

step "Creating $USERS more signed-in sessions (JSON API sign-in, with a bearer token each)"
sign_in_sessions api
settle
REDIS2B=$(redis_bytes) KEYS2B=$(redis-cli -p "$REDIS_PORT" dbsize) TABLE2B=$(table_growth)

step "One signed-in session's keys (MEMORY USAGE, bytes)"
INDEX_KEY="$(redis-cli -p "$REDIS_PORT" --scan --pattern '*u:*:sessions' | head -1)"
SESSION_ID="$(redis-cli -p "$REDIS_PORT" hvals "$INDEX_KEY" | head -1)"
SESSION_KEY="porch:s:{${SESSION_ID:0:4}}${SESSION_ID:4}"
for key in "$SESSION_KEY" "$SESSION_KEY:a" "$SESSION_KEY:p"; do
  printf '%6s  %s\n' "$(redis-cli -p "$REDIS_PORT" memory usage "$key")" "$key"
done
printf '        record: %s\n' "$(redis-cli -p "$REDIS_PORT" get "$SESSION_KEY")"
for key in $(redis-cli -p "$REDIS_PORT" --scan --pattern '*expiries*'; redis-cli -p "$REDIS_PORT" --scan --pattern '*u:*'; redis-cli -p "$REDIS_PORT" --scan --pattern '*uv:*'); do
  printf '%6s  %s (%s entries)\n' "$(redis-cli -p "$REDIS_PORT" memory usage "$key" samples 0)" "$key" \
    "$(redis-cli -p "$REDIS_PORT" type "$key" | sed 's/zset/zcard/;s/hash/hlen/;s/^set$/scard/' | xargs -I{} redis-cli -p "$REDIS_PORT" {} "$key")"
done

step "Notifications on, one more sign-in: a notice on each of the $((2 * USERS)) sessions"
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
  -v m0="$REDIS0" -v m1="$REDIS1" -v m2="$REDIS2" -v m2b="$REDIS2B" -v m3="$REDIS3" -v k1="$KEYS1" -v k2="$KEYS2" \
  -v k2b="$KEYS2B" -v t1="$TABLE1" -v t2="$TABLE2" -v t2b="$TABLE2B" 'BEGIN {
  printf "server RSS at rest              %7.1f MiB\n", r0 / 1024
  printf "server RSS, %5d guests         %7.1f MiB\n", g, r1 / 1024
  printf "server RSS, + %4d signed in     %7.1f MiB (peak %.1f MiB)\n", u, r2 / 1024, hwm / 1024
  printf "Redis per guest session         %7.0f B  (%d keys for %d sessions)\n", (m1 - m0) / g, k1, g
  printf "Redis per signed-in session     %7.0f B  (browser sign-in; %d keys more; %.0f B with the key tables'"'"' growth)\n", (m2 - m1 - (t2 - t1)) / u, k2 - k1, (m2 - m1) / u
  printf "Redis per signed-in session     %7.0f B  (JSON API sign-in, bearer token included; %d keys more; %.0f B with the key tables'"'"' growth)\n", (m2b - m2 - (t2b - t2)) / u, k2b - k2, (m2b - m2) / u
  printf "Redis per notice                %7.0f B  (at most 10 kept per session)\n", (m3 - m2b) / (2 * u + 1)
}'
