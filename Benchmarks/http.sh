#!/usr/bin/env bash
# Requests per second and p99 latency of an authenticated, region-scoped JSON GET, measured
# beside a bare Vapor route in the same run, so the ratio shows what our middleware costs
# (token lookup, permissions, region scope, one database read).
#
#   Benchmarks/http.sh [seconds]      # default 10 s per route; needs wrk (apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_ROUTE="${1:-10}"
PORT="${BENCH_PORT:-8181}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

swift build -c release --product yiyang >/dev/null
BIN="$(swift build -c release --show-bin-path)/yiyang"
DATA="$(mktemp -d /tmp/yiyang-bench.XXXXXX)"
YIYANG_DATA_DIR="$DATA" YIYANG_BENCH_ROUTES=1 LOG_LEVEL=warning "$BIN" serve --demo --port "$PORT" >"$DATA/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

TOKEN=$(curl -fs -X POST -H 'Content-Type: application/json' \
  -d '{"username":"demo_township","password":"Demo@Yiyang2026"}' "http://127.0.0.1:$PORT/api/v1/sessions" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
SCOPED="/api/v1/regions/130102001000"
curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$SCOPED" >/dev/null

run() { # name path [header]
  local out
  if [ -n "${3:-}" ]; then out=$(wrk -t2 -c16 -d"${SECONDS_PER_ROUTE}s" --latency -H "$3" "http://127.0.0.1:$PORT$2")
  else out=$(wrk -t2 -c16 -d"${SECONDS_PER_ROUTE}s" --latency "http://127.0.0.1:$PORT$2"); fi
  local rps p99 errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  printf '%-34s %12s req/s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p99" "${errors:-0}"
  echo "$rps" > "$DATA/$1.rps"
}

echo "wrk -t2 -c16 -d${SECONDS_PER_ROUTE}s, release build, SQLite, $(nproc) cores"
run bare "/bench/bare"
run scoped "$SCOPED" "Authorization: Bearer $TOKEN"
python3 - "$DATA" <<'PY'
import sys
d = sys.argv[1]
bare = float(open(f"{d}/bare.rps").read()); scoped = float(open(f"{d}/scoped.rps").read())
print(f"authenticated scoped GET runs at {scoped / bare:.1%} of the bare route's rate")
PY
