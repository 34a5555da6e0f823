#!/usr/bin/env bash
# Issue 18's limits, measured in one run on this machine: the shipped static musl binary with its default
# settings (request logs on, JSON to stdout, read through a pipe as the container runtime does) against nginx
# serving the very same bytes with its access log off; then the same binary with LOG_LEVEL=off, to show what
# the logs cost. wrk -t2, keep-alive connections. nginx is measured right before and right after the two app
# runs of each target, and each ratio is against the mean of those two nginx runs (this VM's speed drifts).
# Prints a markdown table: app req/s, nginx req/s, ratio, p99 of both, and the log lines the app wrote.
#
# Usage: bench/limits.sh [--duration 10] [--connections 64] [--binary PATH]
#   --binary   the binary to measure (default: $CARGO_TARGET_DIR or target/, x86_64-unknown-linux-musl/release,
#              built with `cargo build --release --target x86_64-unknown-linux-musl` when missing)
# Rows of the issue not measured here (yet): POST /leads against the database's INSERT ceiling
# (bench/capacity.sh, docs/capacity.md) and the staff list/search/export at 1M leads (bench/admin.sh) — add
# them as functions beside `measure_get` and rows of the same table.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10 connections=64
bin="${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-musl/release/ritual-roast"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --binary) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

. bench/common.sh
bench_setup rr-limits "$bin"
wait_for() { # url
  for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "nothing answers on $1" >&2; exit 1
}

# start_app NAME [ENV=VALUE…]: the binary with default settings plus these; stdout into a pipe whose reader
# counts the lines and keeps any "log lines dropped" warning (the container runtime reads a pipe too).
start_app() {
  local name=$1; shift
  local port; port=$(free_port)
  mkfifo "$work/$name.pipe"
  LC_ALL=C awk -v dropped="$work/$name.dropped" 'index($0, "log lines dropped") { print > dropped }
    END { print NR }' <"$work/$name.pipe" >"$work/$name.lines" & pids+=($!)
  env -i PATH="$PATH" PORT="$port" RR_SERVER__HOST=127.0.0.1 RR_DATABASE__SQLITE_PATH="$work/$name.sqlite3" "$@" \
    "$bin" >"$work/$name.pipe" 2>"$work/$name.err" & pids+=($!)
  echo "$!" >"$work/$name.pid"
  echo "$port" >"$work/$name.port"
  wait_for "http://127.0.0.1:$port/health.html"
}
start_app logs_on
start_app logs_off LOG_LEVEL=off
on_port=$(cat "$work/logs_on.port"); off_port=$(cat "$work/logs_off.port")

nginx_port=$(free_port)
start_nginx "$on_port" "$nginx_port"
wait_for "http://127.0.0.1:$nginx_port/health.html"

# wrk_stats URL → "req/s p99" (p99 in ms); warns about non-2xx answers.
wrk_stats() {
  local out; out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$1")
  if grep -q 'Non-2xx' <<<"$out"; then echo "warning: $1: $(grep 'Non-2xx' <<<"$out")" >&2; fi
  awk '/Requests\/sec/ {rps=$2}
       $1=="99%" {v=$2; if (v ~ /us$/) ms=v/1000; else if (v ~ /ms$/) ms=v+0; else ms=v*1000}
       END {printf "%.0f %.2f\n", rps, ms}' <<<"$out"
}

rows=()
measure_get() { # label path
  local n1 n2 on off
  echo "measuring $1 (${duration}s × 4)…" >&2
  n1=$(wrk_stats "http://127.0.0.1:$nginx_port$2")
  on=$(wrk_stats "http://127.0.0.1:$on_port$2")
  off=$(wrk_stats "http://127.0.0.1:$off_port$2")
  n2=$(wrk_stats "http://127.0.0.1:$nginx_port$2")
  rows+=("$(python3 - "$1" "$n1" "$n2" "$on" "$off" <<'PY'
import sys
label, n1, n2, on, off = sys.argv[1:]
(r1, p1), (r2, p2) = (map(float, n1.split()), map(float, n2.split()))
nginx_rps, nginx_p99 = (r1 + r2) / 2, max(p1, p2)
for logs, run in (("on (default)", on), ("off", off)):
    rps, p99 = map(float, run.split())
    print(f"| {label} | {logs} | {rps:,.0f} | {nginx_rps:,.0f} ({r1:,.0f} / {r2:,.0f}) | {rps / nginx_rps:.2f}× "
          f"| {p99:.2f} ms | {nginx_p99:.2f} ms |")
PY
)")
}
measure_get "GET /" /
measure_get "GET /health.html" /health.html

for name in logs_on logs_off; do kill -TERM "$(cat "$work/$name.pid")"; done
for _ in $(seq 1 100); do [ -s "$work/logs_on.lines" ] && [ -s "$work/logs_off.lines" ] && break; sleep 0.1; done

echo
echo "$(date -u +%Y-%m-%d) · $(nproc) cores · wrk -t2 -c$connections -d${duration}s · nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), $(nproc) workers, access_log off · app: $bin ($(du -h "$bin" | cut -f1)), default settings"
echo
echo "| target | request logs | app req/s | nginx req/s (before / after) | app ÷ nginx | app p99 | nginx p99 (worse of two) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
echo
echo "log lines written: $(cat "$work/logs_on.lines") with logs on, $(cat "$work/logs_off.lines") with LOG_LEVEL=off"
touch "$work/logs_on.dropped"
echo "log lines dropped (buffer full): $(grep -o '"dropped":[0-9]*' "$work/logs_on.dropped" | awk -F: '{ n += $2 } END { print n + 0 }')"
