#!/usr/bin/env bash
# HTTP throughput of the three demos and the tower-sessions baseline, in one run, on loopback:
# for each service, `GET /hello` (a bare route), `GET /api/me` (a session), and, for the demos,
# `GET /api/token/me` (a bearer JWT). wrk with one thread and 32 connections for 10 s per route;
# the services run on the in-memory store. Prints a Markdown table.
#
#   bash bench/http/run.sh            (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
cargo build --release -q -p axum-demo -p rocket-demo -p warp-demo
cargo build --release -q -p auth-bench --example tower_sessions_baseline
export AUTH_JWT_KEY=YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMzI

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

rps() { # url, extra header
  wrk -t1 -c32 -d"$DURATION" ${2:+-H "$2"} "$1" | awk '/Requests\/sec/ { printf "%d", $2 }'
}

wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open" >&2; exit 1
}

login_cookie() { # port
  curl -s -D - -o /dev/null -X POST -H "Origin: http://127.0.0.1:$1" \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data 'username=ada&password=lovelace-1815' "http://127.0.0.1:$1/login" |
    tr -d '\r' | awk -F'[ ;]' 'tolower($1) == "set-cookie:" { print $2; exit }'
}

echo "| service | /hello req/s | /api/me req/s | /api/token/me req/s |"
echo "|---|---|---|---|"
port=3200
for demo in axum rocket warp; do
  port=$((port + 1))
  "target/release/$demo-demo" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
  pids+=($!)
  wait_port "$port"
  cookie=$(login_cookie "$port")
  token=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"username":"ada","password":"lovelace-1815"}' "http://127.0.0.1:$port/api/token" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  hello=$(rps "http://127.0.0.1:$port/hello")
  me=$(rps "http://127.0.0.1:$port/api/me" "Cookie: $cookie")
  tme=$(rps "http://127.0.0.1:$port/api/token/me" "Authorization: Bearer $token")
  echo "| $demo-demo | $hello | $me | $tme |"
done
port=$((port + 1))
target/release/examples/tower_sessions_baseline "127.0.0.1:$port" >/dev/null 2>&1 &
pids+=($!)
wait_port "$port"
cookie=$(curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$port/login" |
  tr -d '\r' | awk -F'[ ;]' 'tolower($1) == "set-cookie:" { print $2; exit }')
hello=$(rps "http://127.0.0.1:$port/hello")
me=$(rps "http://127.0.0.1:$port/api/me" "Cookie: $cookie")
echo "| axum + tower-sessions | $hello | $me | — |"
