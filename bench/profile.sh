#!/usr/bin/env bash
# Where a page view's CPU goes: perf profile of the release server under wrk.
#   bench/profile.sh [guest|signed-in|new-guest|track]   (SKIP_BUILD=1 reuses target/release; PAGE=/account)
# Prints the hottest functions (self time) and the share of time per crate, from
# `perf record -g` over 10 s of wrk -t1 -c20 on `GET $PAGE` (default `/`) with an existing
# guest or signed-in session, without a cookie (new-guest: each view creates a session), or on
# `POST /api/session/page` with a guest session (track: compare.sh's row c).
source "$(dirname "$0")/../scripts/lib.sh"
apt_install_missing wrk:wrk redis-server:redis-server perf:linux-perf curl:curl

KIND=${1:-signed-in}
PAGE=${PAGE:-/}
APP_PORT=${APP_PORT:-3106}
REDIS_PORT=${REDIS_PORT:-6396}
source "$ROOT/bench/lib.sh"
bench_start profile

redis_up
# Limits raised: wrk comes from one address and would otherwise be refused by design.
start_app "$OUT/porch.db" target/release/porch RATE_LIMIT_SESSIONS=100000000/1m
WRK_ARGS=()
if [ "$KIND" = new-guest ]; then
  COOKIE=
elif [ "$KIND" = guest ] || [ "$KIND" = track ]; then
  COOKIE="$(curl -s -D - -o /dev/null "$BASE/" | session_of)"
else
  COOKIE="$(curl -s -D - -o /dev/null -X POST "$BASE/api/auth/register" -H 'content-type: application/json' \
    -d '{"name":"Bench","email":"profile@example.com","password":"correct horse battery"}' | session_of)"
fi
TARGET="$BASE$PAGE"
if [ "$KIND" = track ]; then
  export BENCH_DIR="$ROOT/bench" BENCH_ORIGIN="$BASE" BENCH_COOKIE="$COOKIE"
  WRK_ARGS=(-s "$BENCH_DIR/wrk/track-page.lua")
  TARGET="$BASE/api/session/page"
elif [ -n "$COOKIE" ]; then
  WRK_ARGS=(-H "Cookie: $COOKIE")
fi
wrk -t1 -c20 -d3s "${WRK_ARGS[@]}" "$TARGET" >/dev/null
wrk -t1 -c20 -d12s "${WRK_ARGS[@]}" "$TARGET" >"$OUT/wrk.txt" &
WRK=$!
sleep 1
perf record -F 999 -g -p "$SERVER" -o "$OUT/perf.data" -- sleep 10 2>/dev/null >/dev/null
wait "$WRK"
grep -E "Requests/sec|Latency " "$OUT/wrk.txt"

step "Hottest functions (self time)"
perf report -i "$OUT/perf.data" --no-children --sort sym --stdio 2>/dev/null \
  | grep -E '^ +[0-9.]+%' | awk 'NR <= 40'

step "Share of samples by crate (self time)"
perf report -i "$OUT/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null \
  | grep -E '^ +[0-9.]+%' \
  | python3 -c '
import re, sys, collections
share = collections.Counter()
for line in sys.stdin:
    pct, _, sym = line.strip().partition("%")
    kernel = "[k]" in sym
    sym = re.sub(r"^\s*\[[.kK]\]\s*", "", sym)
    crates = re.findall(r"(?:^|[<\s(&,])([a-z_][a-z0-9_]*)::", sym)
    if kernel:
        crate = "kernel (network, scheduling)"
    elif re.match(r"_?mi_", sym):
        crate = "mimalloc (allocation)"
    elif sym.startswith("__mem"):
        crate = "libc mem* (copies)"
    elif crates:
        # A generic (drop_in_place<X>, <T as Trait>) is charged to the first crate not core/alloc/std.
        crate = next((c for c in crates if c not in ("core", "alloc", "std")), crates[0])
    else:
        crate = sym.split("(")[0][:30] or "?"
    share[crate] += float(pct)
for crate, pct in share.most_common(20):
    print(f"{pct:6.2f}%  {crate}")
'
