#!/usr/bin/env bash
# What one Fargate task carries: the shipped scratch image under Docker with the task's CPU and memory
# limits (0.25 vCPU / 512 MiB is the template's default task size; then 0.5 and 1 vCPU), against MariaDB on
# this machine. For each size:
#   page views/s and lead posts/s at the most load whose p99 stays under 100 ms (wrk, 2 threads, rising
#     connection counts; the best rate that meets the p99 is reported, with its connections and p99),
#   peak RSS under that load (the container's cgroup memory),
#   past saturation (256 connections): how many answers were 2xx/3xx, 503/429 (shed on purpose, with
#     Retry-After) or anything else, and whether the task still answers its health check afterwards.
# Plus the reference measured in the same run: the same binary with no limits (this machine's 2 cores),
# and the database's raw single-row INSERT ceiling into the app's own table (mysqlslap, 64 clients).
# Usage: bench/capacity.sh [--duration 5] [--sizes "0.25 0.5 1"]   (installs wrk with apt; needs Docker)
# Prints a Markdown table; docs/capacity.md explains the model built on it.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=5 sizes="0.25 0.5 1"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

command -v docker >/dev/null || { echo "Docker is required" >&2; exit 1; }

bin=${RR_BENCH_BINARY:-target/x86_64-unknown-linux-musl/release/ritual-roast}
. bench/common.sh
bench_setup rr-capacity "$bin" wrk:wrk curl:curl mysqlslap:mariadb-client
containers=()
remove_containers() {
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
}
exit_hooks+=(remove_containers)

mkdir -p "$work/context"
cp "$bin" "$work/context/ritual-roast"
image=ritual-roast:capacity
docker build -q -f Dockerfile.scratch --build-arg BINARY=ritual-roast -t "$image" "$work/context" >/dev/null

# Always a MariaDB of its own (the databases it makes have fixed names), stopped on exit.
unset RR_TEST_MYSQL_URL
mariadb_start
mysql_login "$RR_TEST_MYSQL_URL"
base=$db_base

# lead.lua: a lead post, each a new lead; count.lua: answers by status, for the overload runs; lead-count.lua: both.
write_wrk_scripts "$work"

start_app() { # name cpus port database -> container id (waits for /health.html)
  local name=$1 cpus=$2 port=$3 db=$4 limits=()
  [ "$cpus" != "host" ] && limits=(--cpus "$cpus" --memory 512m)
  sql -e "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4"
  docker run -d --name "$name" --network host --read-only "${limits[@]}" \
    -e PORT="$port" -e RR_SERVER__HOST=127.0.0.1 -e DATABASE_URL="$base/$db" \
    -e RR_LEADS__RATE_LIMIT_PER_MINUTE=100000000 -e RR_LEADS__RATE_LIMIT_BURST=100000000 \
    "$image" >/dev/null
  containers+=("$name")
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$port/health.html" >/dev/null && return 0
    sleep 0.1
  done
  docker logs "$name" >&2; echo "the app in $name did not start" >&2; exit 1
}

peak_rss_mib() { # container id, while a load runs: the cgroup's peak
  local id; id=$(docker inspect -f '{{.Id}}' "$1")
  for f in /sys/fs/cgroup/system.slice/docker-"$id".scope/memory.peak /sys/fs/cgroup/docker/"$id"/memory.peak; do
    [ -r "$f" ] && { echo $(( $(cat "$f") / 1048576 )); return; }
  done
  # No cgroup file to read: the current usage instead (MiB, as docker prints it).
  docker stats --no-stream --format '{{.MemUsage}}' "$1" | awk '{v=$1; sub(/MiB/,"",v); print v}'
}

best_under_100ms() { # url, wrk script or "" -> "rate connections p99"
  local url=$1 script=$2 best="0 - -"
  for c in 2 4 8 16 32 64 128; do
    local args=(-t2 -c"$c" -d"${duration}s" --latency)
    [ -n "$script" ] && args+=(-s "$script")
    wrk "${args[@]}" "$url" >"$work/wrk.out" 2>&1 || true
    local rate p99; rate=$(wrk_rate <"$work/wrk.out"); p99=$(wrk_ms 99% <"$work/wrk.out")
    [ -z "$rate" ] || [ -z "$p99" ] && continue
    if awk -v p="$p99" 'BEGIN {exit !(p < 100)}'; then
      if awk -v r="$rate" -v b="${best%% *}" 'BEGIN {exit !(r > b)}'; then best="$rate $c $p99"; fi
    else
      break # past the knee: more connections only queue
    fi
  done
  echo "$best"
}

overload() { # url, script -> "ok shed other" (what "other" was goes to stderr)
  wrk -t2 -c256 -d"${duration}s" -s "$2" "$1" >"$work/over.out" 2>&1 || true
  grep '^OTHER' "$work/over.out" | sed "s|^OTHER|  $1 at 256 connections, other answers:|" >&2
  awk '/^COUNTS/ {split($2,a,"="); split($3,b,"="); split($4,c,"="); print a[2], b[2], c[2]}' "$work/over.out"
}

echo "ritual-roast capacity, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) host cores, ${duration}s per step, wrk -t2"
echo
echo "| task size | page views/s (p99<100 ms) | lead posts/s (p99<100 ms) | peak RSS | at 256 connections: pages ok/shed/other | leads ok/shed/other | healthy after |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for cpus in host $sizes; do
  port=$(free_port); name="rr-capacity-${cpus/./}-$$"; db="cap_${cpus/./}_$$"
  start_app "$name" "$cpus" "$port" "$db"
  url="http://127.0.0.1:$port"
  read -r page_rate page_c page_p99 <<<"$(best_under_100ms "$url/" "")"
  read -r lead_rate lead_c lead_p99 <<<"$(best_under_100ms "$url" "$work/lead.lua")"
  rss=$(peak_rss_mib "$name")
  read -r p_ok p_shed p_other <<<"$(overload "$url/" "$work/count.lua")"
  read -r l_ok l_shed l_other <<<"$(overload "$url" "$work/lead-count.lua")"
  healthy=no
  curl -sf "$url/health.html" >/dev/null && [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] && healthy=yes
  label=$([ "$cpus" = host ] && echo "no limit ($(nproc) cores), reference" || echo "$cpus vCPU / 512 MiB")
  echo "| $label | ${page_rate} (c=${page_c}, p99 ${page_p99} ms) | ${lead_rate} (c=${lead_c}, p99 ${lead_p99} ms) | ${rss} MiB | ${p_ok}/${p_shed}/${p_other} | ${l_ok}/${l_shed}/${l_other} | ${healthy} |"
  docker rm -f "$name" >/dev/null
done

# The database's own ceiling for this table: single-row inserts from 64 clients, no app in between.
port=$(free_port); start_app "rr-capacity-schema-$$" 1 "$port" cap_schema >/dev/null
docker rm -f "rr-capacity-schema-$$" >/dev/null
queries=40000
ceiling=$(insert_ceiling cap_schema cap_ceiling $queries 64)
echo
echo "MariaDB $(sql -N -e 'SELECT VERSION()') on this machine: single-row INSERT ceiling into the leads table, 64 clients:" \
  "$ceiling inserts/s"
