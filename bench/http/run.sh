#!/usr/bin/env bash
# HTTP throughput of the three demos and the tower-sessions baseline, in one run, on loopback:
# for each service, `GET /hello` (a bare route), `GET /api/me` (a session), and, for the demos,
# `GET /api/token/me` (a bearer JWT). wrk with one thread and 32 connections; the services run on
# the in-memory store. Every route of every service is measured once per round, for ROUNDS
# rounds of DURATION each (default 7 x 3 s), so that a slow spell of a shared machine hits every
# route alike; the table gives each route's median and the median of the per-round ratios.
#
#   bash bench/http/run.sh            (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-3s}
ROUNDS=${ROUNDS:-7}
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

targets=() # "service|url|header"
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
  targets+=("$demo-demo|http://127.0.0.1:$port/hello|"
    "$demo-demo|http://127.0.0.1:$port/api/me|Cookie: $cookie"
    "$demo-demo|http://127.0.0.1:$port/api/token/me|Authorization: Bearer $token")
done
port=$((port + 1))
target/release/examples/tower_sessions_baseline "127.0.0.1:$port" >/dev/null 2>&1 &
pids+=($!)
wait_port "$port"
cookie=$(curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$port/login" |
  tr -d '\r' | awk -F'[ ;]' 'tolower($1) == "set-cookie:" { print $2; exit }')
targets+=("axum + tower-sessions|http://127.0.0.1:$port/hello|"
  "axum + tower-sessions|http://127.0.0.1:$port/api/me|Cookie: $cookie")

# Every route of every service once per round, so that a slow spell hits all of them alike.
results=$(mktemp)
for round in $(seq 1 "$ROUNDS"); do
  for t in "${targets[@]}"; do
    IFS='|' read -r service url header <<<"$t"
    echo "$round|$service|${url#http://127.0.0.1:*/}|$(rps "$url" "$header")" >>"$results"
  done
done
python3 - "$results" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(lambda: collections.defaultdict(dict))  # service -> round -> route -> rps
for line in open(sys.argv[1]):
    rnd, service, route, rps = line.strip().split("|")
    rows[service][rnd]["/" + route] = int(rps)
routes = ["/hello", "/api/me", "/api/token/me"]
print(f"| service | {' req/s | '.join(routes)} req/s |")
print("|---|---:|---:|---:|")
for service, rounds in rows.items():
    cells = []
    for route in routes:
        if route not in next(iter(rounds.values())):
            cells.append("—")
            continue
        med = statistics.median(r[route] for r in rounds.values())
        if route == "/hello":
            cells.append(f"{med:,.0f}")
        else:
            below = statistics.median(1 - r[route] / r["/hello"] for r in rounds.values())
            cells.append(f"{med:,.0f} ({below:.1%} below /hello)")
    print(f"| {service} | " + " | ".join(cells) + " |")
ours, theirs = rows["axum-demo"], rows["axum + tower-sessions"]
ahead = statistics.median(ours[r]["/api/me"] / theirs[r]["/api/me"] - 1 for r in ours)
print(f"\naxum-demo /api/me against tower-sessions /api/me, median of the per-round ratios: {ahead:+.1%}")
PY
rm -f "$results"
