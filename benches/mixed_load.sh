#!/usr/bin/env bash
# Mixed load on loopback: a `newsdesk serve` on a copy of a data dir (default: a fresh demo
# corpus), `wrk` with 64 connections for DURATION (default 10m) cycling through ask, search,
# brief, one-document posts and deletes (benches/mixed_load.lua), /health polled every second
# meanwhile, RSS read from /proc after the warm-up and at the end.
# Passes when there is no 5xx other than 503 with Retry-After, /health answered every poll and
# the final RSS is within 10% of the RSS after warm-up.
# Usage: benches/mixed_load.sh [DURATION] [DATA_DIR_TO_COPY]     (needs wrk: apt install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10m}
src=${2:-}
bin=${NEWSDESK_BIN:-target/release/newsdesk}
[ -n "${NEWSDESK_BIN:-}" ] || cargo build --release --quiet
command -v wrk >/dev/null || { echo "wrk is not installed (apt install wrk)"; exit 2; }
server=; poller=
work=$(mktemp -d)
trap 'kill $server $poller 2>/dev/null || true; rm -rf "$work"' EXIT
if [ -n "$src" ]; then cp -r "$src" "$work/data"; fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
key=load-test-key
"$bin" --data "$work/data" --log warn serve --addr "127.0.0.1:$port" --api-key "$key" \
  > "$work/server.log" 2>&1 &
server=$!
until curl -fs "http://127.0.0.1:$port/ready" >/dev/null; do sleep 1; done
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
(ok=0; fail=0; while true; do
   if curl -fs -m 5 "http://127.0.0.1:$port/health" >/dev/null; then ok=$((ok+1)); else fail=$((fail+1)); fi
   echo "$ok $fail" > "$work/health"; sleep 1; done) &
poller=$!
# Warm-up: one minute of the same mix, then the RSS baseline.
wrk -t2 -c64 -d60s --latency -s benches/mixed_load.lua "http://127.0.0.1:$port" -- "$key" \
  | tail -1 > "$work/warmup.json"
rss_warm=$(rss)
wrk -t2 -c64 -d"$duration" --timeout 30s -s benches/mixed_load.lua "http://127.0.0.1:$port" -- "$key" \
  | tail -1 > "$work/run.json"
rss_end=$(rss)
read -r ok fail < "$work/health"
python3 - "$work/warmup.json" "$work/run.json" "$rss_warm" "$rss_end" "$ok" "$fail" "$duration" <<'PY'
import json, sys
warm, run = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
rss_warm, rss_end, ok, fail = (int(x) for x in sys.argv[3:7])
growth = (rss_end - rss_warm) / rss_warm
passed = (run["bad5xx"] == 0 and run["s503_without_retry_after"] == 0
          and fail == 0 and abs(growth) <= 0.10)
print(json.dumps({"duration": sys.argv[7], "connections": 64, "warmup": warm, "run": run,
                  "rss_after_warmup_kib": rss_warm, "rss_end_kib": rss_end,
                  "rss_growth": round(growth, 4), "health_ok": ok, "health_failed": fail,
                  "passed": passed}, indent=1))
sys.exit(0 if passed else 1)
PY
