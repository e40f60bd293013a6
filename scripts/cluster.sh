#!/usr/bin/env bash
# Opt-in: the Redis-backed session, activity, account and preference tests against a local
# 3-master Redis Cluster, to show every multi-key operation stays within one hash slot.
#   bash scripts/cluster.sh            # ports 7101-7103 (CLUSTER_BASE_PORT=… to move them)
#   bash scripts/cluster.sh -- <cargo test filter>…
# The cluster lives in a temporary directory and is shut down when the script ends.
source "$(dirname "$0")/lib.sh"
ensure_redis

BASE="${CLUSTER_BASE_PORT:-7101}"
PORTS=("$BASE" "$((BASE + 1))" "$((BASE + 2))")
DIR="$(mktemp -d)"

stop_cluster() {
  for port in "${PORTS[@]}"; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$DIR"
}
trap stop_cluster EXIT

step "Starting a 3-master Redis Cluster on ports ${PORTS[*]}"
for port in "${PORTS[@]}"; do
  if redis-cli -p "$port" ping >/dev/null 2>&1; then
    echo "Port $port is taken; set CLUSTER_BASE_PORT to three free ports' first." >&2
    exit 1
  fi
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$DIR" \
    --cluster-enabled yes --cluster-config-file "nodes-$port.conf" \
    --save "" --appendonly no --logfile "$DIR/redis-$port.log"
done
for port in "${PORTS[@]}"; do
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create "${PORTS[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null
for port in "${PORTS[@]}"; do
  for _ in $(seq 100); do
    redis-cli -p "$port" cluster info | grep -q '^cluster_state:ok' && break
    sleep 0.1
  done
done
redis-cli -p "$BASE" cluster info | grep '^cluster_state\|^cluster_known_nodes\|^cluster_slots_assigned'

FILTERS=(sessions:: activity:: accounts:: preferences:: user_view:: store:: scale_out:: ratelimit:: notices:: avatar:: real_clients::)
if [ "${1:-}" = "--" ] && [ "$#" -gt 1 ]; then shift; FILTERS=("$@"); fi
step "cargo test --features ssr --test it ${FILTERS[*]} (Redis Cluster)"
# `--test-threads 4`: every test opens its own connections to all three masters.
TEST_REDIS_URL="redis-cluster://127.0.0.1:$BASE" cargo test --features ssr --test it -- "${FILTERS[@]}" --test-threads 4
# The tests' keys stay behind until the cluster goes: they must be spread over all three masters.
for port in "${PORTS[@]}"; do
  keys=$(redis-cli -p "$port" dbsize)
  echo "master :$port holds $keys keys"
  [ "$keys" -gt 0 ] || { echo "no keys on :$port: were the tests using the cluster?" >&2; exit 1; }
done
