#!/usr/bin/env bash
# Porch side by side with the seeds' stack (Express + express-session + connect-redis, 2 workers).
#   bench/compare.sh            (SKIP_BUILD=1 reuses target/release; PEER=path/to/run-peer.sh)
# Builds the release, runs our scenarios on a Redis this script owns, then the peer's script
# (`../shared/bench/run-peer.sh cluster`), then ours again, and prints both figures and the
# ratio per scenario. Each run: wrk -t2 -c50, 3 s warm-up, 10 s measured.
source "$(dirname "$0")/../scripts/lib.sh"
apt_install_missing wrk:wrk redis-server:redis-server

PEER=${PEER:-$ROOT/../shared/bench/run-peer.sh}
APP_PORT=${APP_PORT:-3104}
REDIS_PORT=${REDIS_PORT:-6394}
source "$ROOT/bench/lib.sh"
export BENCH_DIR="$ROOT/bench" BENCH_ORIGIN="$BASE"
bench_start compare

start_ours() {
  redis_up
  # Limits raised: wrk comes from one address and would otherwise be refused by design.
  start_app "$OUT/porch.db" target/release/porch RATE_LIMIT_SESSIONS=100000000/1m RATE_LIMIT_SIGN_IN=100000000/1m
}

# run NAME ROUND wrk-args...: warm up, measure, append "NAME<TAB>ROUND<TAB>rps<TAB>p50<TAB>p99<TAB>non2xx" to results.
run() {
  local name=$1 round=$2; shift 2
  wrk -t2 -c50 -d3s "$@" >/dev/null 2>&1
  local line; line="$(wrk -t2 -c50 -d10s --latency "$@" | grep '^SUMMARY')"
  local field; field() { sed "s/.*$1=\([^ ]*\).*/\1/" <<<"$line"; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "$(field rps)" "$(field p50_ms)" "$(field p99_ms)" "$(field non2xx)" >>"$OUT/ours.tsv"
}

ours() { # $1 = round
  start_ours
  local summary="$BENCH_DIR/wrk/summary.lua"
  run "a GET / new guest each request" "$1" -s "$summary" "$BASE/"
  local guest; guest="$(curl -s -D - -o /dev/null "$BASE/" | session_of)"
  run "b GET / one existing session" "$1" -s "$summary" -H "Cookie: $guest" "$BASE/"
  BENCH_COOKIE="$guest" run "c POST /api/session/page" "$1" -s "$BENCH_DIR/wrk/track-page.lua" "$BASE/api/session/page"
  local email="bench-$$-$1@example.com" password="correct horse battery"
  local user; user="$(curl -s -D - -o /dev/null -X POST "$BASE/api/auth/register" -H 'content-type: application/json' \
    -d "{\"name\":\"Bench\",\"email\":\"$email\",\"password\":\"$password\"}" | session_of)"
  run "d GET / signed in" "$1" -s "$summary" -H "Cookie: $user" "$BASE/"
  # Pages that show the user's own data: rendered for each view, never from a template.
  run "f GET /account signed in" "$1" -s "$summary" -H "Cookie: $user" "$BASE/account"
  run "g GET /account/sessions signed in" "$1" -s "$summary" -H "Cookie: $user" "$BASE/account/sessions"
  run "h GET /session signed in" "$1" -s "$summary" -H "Cookie: $user" "$BASE/session"
  BENCH_EMAIL="$email" BENCH_PASSWORD="$password" wrk -t1 -c8 -d14s -s bench/login.lua "$BASE/api/auth/login" >"$OUT/burst-$1.txt" &
  local burst=$!
  sleep 1
  run "e GET / signed in, sign-in burst" "$1" -s "$summary" -H "Cookie: $user" "$BASE/"
  wait "$burst" || true
  stop_app
  redis_down
}

step "Porch, round 1"
ours 1
step "Peer (Express, 2 workers): $PEER cluster"
LOGDIR="$OUT/peer" bash "$PEER" cluster | tee "$OUT/peer.txt"
step "Porch, round 2"
ours 2

step "Side by side (req/s and p99; ratio = Porch's mean req/s / the peer's)"
python3 - "$OUT/ours.tsv" "$OUT/peer/results.tsv" <<'PY'
import csv, sys
ours = {}
for name, rnd, rps, p50, p99, non2xx in csv.reader(open(sys.argv[1]), delimiter="\t"):
    ours.setdefault(name, []).append((float(rps), float(p99), int(non2xx)))
peer = {}
for row in csv.reader(open(sys.argv[2]), delimiter="\t"):
    peer[row[0][0]] = (float(row[2]), float(row[4]))
# Signed-in views are compared with the peer's existing-session view (it has no accounts).
# Rows print in the order they ran; e (during a sign-in burst) is the last of a round.
against = {"a": "a", "b": "b", "c": "c", "d": "b", "e": "b", "f": "b", "g": "b", "h": "b"}
print(f"{'scenario':38} {'porch r1':>20} {'porch r2':>20} {'peer':>20} {'ratio':>6}")
for name, runs in ours.items():
    cells = [f"{rps:8.0f}/s p99 {p99:6.1f}" + ("!" if n else "") for rps, p99, n in runs]
    key = against[name[0]]
    p = peer.get(key)
    mean = sum(r[0] for r in runs) / len(runs)
    ratio = f"{mean / p[0]:5.1f}x" if p else "-"
    peer_cell = f"{p[0]:8.0f}/s p99 {p[1]:6.1f}" if p else "-"
    print(f"{name:38} {cells[0]:>20} {cells[-1]:>20} {peer_cell:>20} {ratio:>6}")
print("(! = some answers were not 2xx/3xx)")
PY
