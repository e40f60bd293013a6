#!/usr/bin/env bash
# A/B of two server binaries on the page views that matter, alternating so that the machine's
# drift hits both alike.
#   bench/ab.sh BEFORE_BINARY AFTER_BINARY [PAIRS]      (default 4 pairs)
#   BEFORE_ENV="PAGE_CACHE=false" bench/ab.sh B B       (one binary, two settings)
# Each binary gets a Redis and a SQLite database of its own per run; per scenario: wrk -t2 -c50,
# 3 s warm-up, 10 s measured. Scenarios: a guest's existing session `GET /`, a signed-in
# `GET /`, a signed-in `GET /account` (never from the page cache). Prints req/s and p99 per run
# and the means. BEFORE_ENV / AFTER_ENV: extra settings (VAR=value …) for that side.
source "$(dirname "$0")/../scripts/lib.sh"
apt_install_missing wrk:wrk redis-server:redis-server

BEFORE=${1:?usage: bench/ab.sh BEFORE_BINARY AFTER_BINARY [PAIRS]}
AFTER=${2:?usage: bench/ab.sh BEFORE_BINARY AFTER_BINARY [PAIRS]}
PAIRS=${3:-4}
APP_PORT=${APP_PORT:-3105}
REDIS_PORT=${REDIS_PORT:-6395}
source "$ROOT/bench/lib.sh"
OUT="$(mktemp -d -t porch-ab.XXXXXX)"
SUMMARY="$ROOT/bench/wrk/summary.lua"
trap 'stop_app; redis_down' EXIT

measure() { # $1 = label, $2 = binary, $3 = extra settings
  redis_up
  rm -f "$OUT/porch.db"
  # shellcheck disable=SC2086
  start_app "$OUT/porch.db" "$2" RATE_LIMIT_SESSIONS=100000000/1m RATE_LIMIT_REGISTER=100000000/1m $3
  local guest user
  guest="$(curl -s -D - -o /dev/null "$BASE/" | session_of)"
  user="$(curl -s -D - -o /dev/null -X POST "$BASE/api/auth/register" -H 'content-type: application/json' \
    -d "{\"name\":\"Bench\",\"email\":\"ab-$$-$RANDOM@example.com\",\"password\":\"correct horse battery\"}" | session_of)"
  for scenario in guest user account; do
    local cookie=$user path=/
    [ "$scenario" = guest ] && cookie=$guest
    [ "$scenario" = account ] && path=/account
    wrk -t2 -c50 -d3s -H "Cookie: $cookie" "$BASE$path" >/dev/null 2>&1
    local line; line="$(wrk -t2 -c50 -d10s --latency -s "$SUMMARY" -H "Cookie: $cookie" "$BASE$path" | grep '^SUMMARY')"
    local field; field() { sed "s/.*$1=\([^ ]*\).*/\1/" <<<"$line"; }
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$scenario" "$(field rps)" "$(field p99_ms)" "$(field non2xx)" >>"$OUT/ab.tsv"
  done
  stop_app
}

for pair in $(seq "$PAIRS"); do
  step "Pair $pair of $PAIRS"
  measure before "$BEFORE" "${BEFORE_ENV:-}"
  measure after "$AFTER" "${AFTER_ENV:-}"
done

python3 - "$OUT/ab.tsv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter="\t"))
titles = {"guest": "GET / (existing guest session)", "user": "GET / (signed in)", "account": "GET /account (signed in)"}
for scenario in ("guest", "user", "account"):
    print(f"\n{titles[scenario]}")
    for label in ("before", "after"):
        runs = [r for r in rows if r[0] == label and r[1] == scenario]
        cells = ", ".join(f"{float(r[2]):.0f}/s p99 {float(r[3]):.1f}" + ("!" if int(r[4]) else "") for r in runs)
        mean = sum(float(r[2]) for r in runs) / len(runs)
        print(f"  {label:6} mean {mean:7.0f}/s   {cells}")
print("(! = some answers were not 2xx/3xx)")
PY
