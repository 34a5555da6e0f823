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

command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
command -v docker >/dev/null || { echo "Docker is required" >&2; exit 1; }

bin=${RR_BENCH_BINARY:-target/x86_64-unknown-linux-musl/release/ritual-roast}
if [ ! -x "$bin" ]; then
  echo "building the release binary ($bin)…" >&2
  rustup target list --installed 2>/dev/null | grep -q x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl
  cargo build --release --target x86_64-unknown-linux-musl >&2
fi

work=$(mktemp -d /tmp/rr-capacity.XXXXXX)
containers=()
cleanup() {
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  [ -n "${RR_TEST_MARIADB_PID:-}" ] && kill "$RR_TEST_MARIADB_PID" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/context"
cp "$bin" "$work/context/ritual-roast"
image=ritual-roast:capacity
docker build -q -f Dockerfile.scratch --build-arg BINARY=ritual-roast -t "$image" "$work/context" >/dev/null

eval "$(scripts/mariadb-test-server.sh)"
admin=$RR_TEST_MYSQL_URL
base=${admin%/*}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
read -r db_user db_password db_host db_port <<<"$(python3 -c 'import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(p.username, u.unquote(p.password), p.hostname, p.port)' "$admin")"
db_args=(-h "$db_host" -P "$db_port" -u "$db_user" "-p$db_password")
sql() { mysql "${db_args[@]}" "$@"; }

# The lead post: a valid form, a fresh idempotency token per request (each post is a new lead).
cat >"$work/lead.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local token = string.format("%08x%08x%016x", math.random(0, 0x7fffffff), os.time(), n)
  return wrk.format(nil, "/leads", nil,
    "name=Capacity+Test&email=cap%40example.com&interest=beans&form_token=" .. token)
end
LUA
# Counts answers by status class, for the overload runs.
cat >"$work/count.lua" <<'LUA'
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function() ok = 0; shed = 0; other = 0; other_codes = "" end
response = function(status)
  if status < 400 then ok = ok + 1 elseif status == 503 or status == 429 then shed = shed + 1
  else other = other + 1; if #other_codes < 40 then other_codes = other_codes .. status .. " " end end
end
done = function(summary)
  local o, s, x, codes = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    o = o + t:get("ok"); s = s + t:get("shed"); x = x + t:get("other"); codes = codes .. t:get("other_codes")
  end
  local e = summary.errors
  io.write(string.format("COUNTS ok=%d shed=%d other=%d\n", o, s, x))
  io.write(string.format("OTHER %s socket errors: connect %d, read %d, write %d, timeout %d\n",
    codes, e.connect, e.read, e.write, e.timeout))
end
LUA
cat "$work/lead.lua" "$work/count.lua" >"$work/lead-count.lua"

# wrk's "Requests/sec" and its p99 (in ms), from --latency output.
rate_of() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99_of() {
  awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' "$1"
}

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
    local rate p99; rate=$(rate_of "$work/wrk.out"); p99=$(p99_of "$work/wrk.out")
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
sql -e "CREATE DATABASE cap_ceiling CHARACTER SET utf8mb4"
port=$(free_port); start_app "rr-capacity-schema-$$" 1 "$port" cap_schema >/dev/null
sql cap_schema -e "CREATE TABLE cap_ceiling.leads LIKE cap_schema.leads"
docker rm -f "rr-capacity-schema-$$" >/dev/null
queries=40000
start=$(date +%s.%N)
mysqlslap "${db_args[@]}" --concurrency=64 --iterations=1 \
  --number-of-queries=$queries --create-schema=cap_ceiling \
  --query="INSERT INTO leads (name, email, phone, interest, message, consent, status, form_token, created_at, updated_at, version) VALUES ('Capacity Test', 'cap@example.com', '', 'beans', '', 0, 'new', REPLACE(UUID(), '-', ''), NOW(6), NOW(6), 1)" >/dev/null
end=$(date +%s.%N)
echo
echo "MariaDB $(sql -N -e 'SELECT VERSION()') on this machine: single-row INSERT ceiling into the leads table, 64 clients:" \
  "$(awk -v q=$queries -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", q / (e - s)}') inserts/s"
