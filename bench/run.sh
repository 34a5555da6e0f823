#!/usr/bin/env bash
# Benchmarks the release binary against nginx serving the same bytes, on this machine, in the same run.
#   GET /             the landing page (app renders it per request; nginx serves a saved copy)
#   GET /health.html  the ALB health check
#   POST /leads       a stored lead per request (app, SQLite or MariaDB) vs nginx answering the same 303
# Also: idle RSS of the app, and exec → first 200 on /health.html.
# Usage: bench/run.sh [--duration 10] [--connections 64] [--mysql-url mysql://…]   (installs wrk/nginx via apt)
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10 connections=64 mysql_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --mysql-url) mysql_url=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

bin=${RR_BENCH_BINARY:-target/x86_64-unknown-linux-musl/release/ritual-roast}
. bench/common.sh
bench_setup rr-bench "$bin"

app_port=$(free_port); nginx_port=$(free_port)
db_env=(RR_DATABASE__SQLITE_PATH="$work/bench.sqlite3")
[ -n "$mysql_url" ] && db_env=(DATABASE_URL="$mysql_url")

# exec → first 200 on /health.html, measured by a poller that starts right after exec.
startup_ms=$(python3 - "$bin" "$app_port" "$work" "${db_env[@]}" <<'PY'
import os, socket, subprocess, sys, time
binary, port, work, *env_pairs = sys.argv[1:]
env = {"PORT": port, "RR_SERVER__HOST": "127.0.0.1", "RR_SERVER__WORKERS": "2", "LOG_LEVEL": "warn",
       "RR_LEADS__RATE_LIMIT_PER_MINUTE": "100000000", "RR_LEADS__RATE_LIMIT_BURST": "100000000"}
env.update(dict(p.split("=", 1) for p in env_pairs))
start = time.perf_counter()
proc = subprocess.Popen([binary], env=env, stdout=open(os.path.join(work, "app.log"), "w"), stderr=subprocess.STDOUT)
while True:
    try:
        s = socket.create_connection(("127.0.0.1", int(port)), timeout=1)
        s.sendall(b"GET /health.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        if s.recv(64).startswith(b"HTTP/1.1 200"):
            break
    except OSError:
        time.sleep(0.0005)
print(f"{(time.perf_counter() - start) * 1000:.1f}")
open(os.path.join(work, "app.pid"), "w").write(str(proc.pid))
PY
)
app_pid=$(cat "$work/app.pid"); pids+=("$app_pid")
sleep 0.5
idle_rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$app_pid/status")

start_nginx "$app_port" "$nginx_port" 'location = /leads { return 303 /thanks; }'
sleep 0.5

cat > "$work/post.lua" <<'LUA'
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  n = n + 1
  local token = string.format("bench%08d%010d", math.random(0, 99999999), n)
  local body = "name=Bench+Guest&email=guest%40example.com&interest=beans&message=hello&form_token=" .. token
  return wrk.format(nil, "/leads", nil, body)
end
LUA

run() { # label url [script]
  local out
  if [ -n "${3:-}" ]; then out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$3" "$2"); else out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$2"); fi
  local rps p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out"); errors=${errors:-0}
  [ "$errors" = 0 ] || echo "warning: $1 answered $errors non-2xx/3xx responses" >&2
  echo "$1|$rps|$p99|$errors"
}

results=()
for target in "GET /|/" "GET /health.html|/health.html" "POST /leads|/leads|$work/post.lua"; do
  IFS='|' read -r label path script <<<"$target"
  results+=("$(run "app   $label" "http://127.0.0.1:$app_port$path" "$script")")
  results+=("$(run "nginx $label" "http://127.0.0.1:$nginx_port$path" "$script")")
done

echo
echo "machine: $(nproc) cores; wrk -t2 -c$connections -d${duration}s; app workers 2, nginx workers $(nproc); database: $([ -n "$mysql_url" ] && echo MariaDB || echo SQLite)"
printf '%-24s %12s %10s %8s %10s\n' target req/s p99 non2xx "vs nginx"
for ((i = 0; i < ${#results[@]}; i += 2)); do
  IFS='|' read -r a_label a_rps a_p99 a_err <<<"${results[i]}"
  IFS='|' read -r n_label n_rps n_p99 n_err <<<"${results[i+1]}"
  ratio=$(python3 -c "print(f'{float($a_rps)/float($n_rps):.2f}x')")
  printf '%-24s %12s %10s %8s %10s\n' "$a_label" "$a_rps" "$a_p99" "$a_err" "$ratio"
  printf '%-24s %12s %10s %8s %10s\n' "$n_label" "$n_rps" "$n_p99" "$n_err" ""
done
echo "idle RSS after boot: $((idle_rss_kb / 1024)) MB ($idle_rss_kb kB)"
echo "exec → first 200 on /health.html: ${startup_ms} ms"
echo "binary: $bin ($(du -h "$bin" | cut -f1))"
