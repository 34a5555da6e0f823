# shellcheck shell=bash
# Sourced by the scripts in bench/. What they share:
#   bench_setup NAME BINARY [TOOL:PACKAGE…]  installs the tools that are missing with apt (default: wrk, nginx,
#       curl), builds the release binary when BINARY does not exist, and makes "$work", a scratch directory. On
#       exit (normal, error, Ctrl-C or SIGTERM) every process in "${pids[@]}" and every process this script
#       started that is still running are stopped, the functions in "${exit_hooks[@]}" run, and "$work" goes.
#   free_port, wait_for URL, start_nginx APP_PORT NGINX_PORT [DIRECTIVES]
#   wrk_ms PCT, wrk_rate: figures from wrk --latency output on stdin
#   mariadb_start: a throwaway MariaDB (scripts/mariadb-test-server.sh) unless RR_TEST_MYSQL_URL is set
#   mysql_login URL, sql …: the mariadb client logged in as in a mysql:// URL
#   insert_ceiling SCHEMA_DB SCRATCH_DB QUERIES CLIENTS: the database's own single-row INSERT rate
#   write_wrk_scripts DIR: wrk Lua scripts that post leads and count answers by status

bench_setup() { # name binary [tool:package…]
  local name=$1 binary=$2 tool; shift 2
  [ $# -gt 0 ] || set -- wrk:wrk nginx:nginx-light curl:curl
  for tool in "$@"; do
    command -v "${tool%%:*}" >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool#*:}" >/dev/null)
  done
  if [ ! -x "$binary" ]; then
    echo "building the release binary ($binary)…" >&2
    rustup target list --installed 2>/dev/null | grep -q x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl >&2
    cargo build --release --target x86_64-unknown-linux-musl >&2
  fi
  work=$(mktemp -d "/tmp/$name.XXXXXX")
  pids=()
  exit_hooks=()
  trap bench_cleanup EXIT
}

# This script's processes, children before grandchildren (to stop the whole tree, the orphans-to-be too).
descendants() { # pid
  local child
  for child in $(pgrep -P "$1"); do echo "$child"; descendants "$child"; done
}

# still_running PID…: those of them that are running (not gone, not a zombie waiting to be reaped).
still_running() {
  [ $# -gt 0 ] || return 0
  ps -o pid=,stat= -p "$(IFS=,; echo "$*")" | awk '$2 !~ /^Z/ { print $1 }'
}

bench_cleanup() {
  local p hook tree=() left=()
  mapfile -t tree < <(descendants $$)
  for p in "${pids[@]}" "${tree[@]}"; do kill -- "$p" 2>/dev/null || true; done
  for _ in $(seq 1 100); do # up to 10 s for them to go, then SIGKILL
    mapfile -t left < <(still_running "${pids[@]}" "${tree[@]}")
    [ ${#left[@]} -eq 0 ] && break
    sleep 0.1
  done
  for p in "${left[@]}"; do kill -KILL -- "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for hook in "${exit_hooks[@]}"; do "$hook" || true; done
  rm -rf "$work"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() { # url
  for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "nothing answers on $1" >&2; exit 1
}

# wrk_ms PCT: the latency at PCT ("50%", "99%") in wrk --latency output on stdin, in ms. wrk_rate: its req/s.
wrk_ms() {
  awk -v pct="$1" '$1 == pct { v = $2
    if (v ~ /us$/) ms = v / 1000; else if (v ~ /ms$/) ms = v + 0; else if (v ~ /m$/) ms = v * 60000; else ms = v * 1000
    printf "%.2f\n", ms }'
}
wrk_rate() { awk '/Requests\/sec/ {print $2}'; }

# start_nginx APP_PORT NGINX_PORT [DIRECTIVES]: nginx serving the very bytes the app sends for / and
# /health.html (saved now), access log off, one worker per core, plus DIRECTIVES in its server block.
start_nginx() {
  chmod 755 "$work" # nginx's workers run as www-data: let them read the files.
  mkdir -p "$work/www"
  curl -sf "http://127.0.0.1:$1/" -o "$work/www/index.html"
  curl -sf "http://127.0.0.1:$1/health.html" -o "$work/www/health.html"
  cat >"$work/nginx.conf" <<NGINX
worker_processes $(nproc);
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  server { listen 127.0.0.1:$2; root $work/www; index index.html; ${3:-} }
}
NGINX
  nginx -c "$work/nginx.conf" -g 'daemon off;' & pids+=($!)
}

# mariadb_start: when RR_TEST_MYSQL_URL is unset, starts a throwaway MariaDB (scripts/mariadb-test-server.sh,
# which exports RR_TEST_MYSQL_URL, RR_TEST_MARIADB_SOCKET…) that is stopped and removed on exit; sets
# own_mariadb=1 then. A server named by RR_TEST_MYSQL_URL is left running (own_mariadb empty).
mariadb_start() {
  own_mariadb=""
  [ -n "${RR_TEST_MYSQL_URL:-}" ] && return 0
  # Closer to RDS than the test server's defaults: a durable commit (fsync per commit, RDS's setting; the
  # test server relaxes it to 2), a 1 GiB buffer pool (a db.t3.small's) and a redo log big enough that a
  # 10 s insert run is not throttled by checkpoints (RDS's are larger still).
  local server
  server=$(RR_TEST_MARIADB_ARGS="${RR_BENCH_MARIADB_ARGS:---innodb-flush-log-at-trx-commit=1 --innodb-buffer-pool-size=1G --innodb-log-file-size=1G --innodb-io-capacity=2000}" \
    scripts/mariadb-test-server.sh)
  eval "$server"
  # shellcheck disable=SC2034 # for the scripts that source this file
  own_mariadb=1
  exit_hooks+=(mariadb_stop)
}
mariadb_stop() {
  kill "$RR_TEST_MARIADB_PID" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$RR_TEST_MARIADB_PID" 2>/dev/null || break; sleep 0.1; done
  rm -rf "$RR_TEST_MARIADB_DIR"
}

# mysql_login URL: db_args (the client's host, port, user and password options) and db_base (the URL without
# its database, to append another) from a mysql:// URL. sql ARGS…: the mariadb client with those options.
mysql_login() {
  local db_user db_password db_host db_port
  read -r db_user db_password db_host db_port <<<"$(python3 -c 'import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(p.username, u.unquote(p.password), p.hostname, p.port)' "$1")"
  db_args=(-h "$db_host" -P "$db_port" -u "$db_user" "-p$db_password")
  # shellcheck disable=SC2034 # for the scripts that source this file
  db_base=${1%/*}
}
sql() { mariadb "${db_args[@]}" "$@"; }

# insert_ceiling SCHEMA_DB SCRATCH_DB QUERIES CLIENTS → inserts/s: the database's own ceiling for the app's
# table, single-row INSERTs from CLIENTS connections (mysqlslap), no app in between, into a fresh
# `CREATE TABLE … LIKE SCHEMA_DB.leads` in SCRATCH_DB (made anew each call). Rate = QUERIES ÷ mysqlslap's time.
insert_ceiling() {
  sql -e "DROP DATABASE IF EXISTS \`$2\`; CREATE DATABASE \`$2\` CHARACTER SET utf8mb4; CREATE TABLE \`$2\`.leads LIKE \`$1\`.leads"
  mysqlslap "${db_args[@]}" --concurrency="$4" --iterations=1 --number-of-queries="$3" --create-schema="$2" \
    --query="INSERT INTO leads (name, email, phone, interest, message, consent, status, form_token, created_at, updated_at, version) VALUES ('Capacity Test', 'cap@example.com', '', 'beans', '', 0, 'new', REPLACE(UUID(), '-', ''), NOW(6), NOW(6), 1)" |
    awk -v q="$3" '/Average number of seconds to run all queries/ { printf "%.0f\n", q / $9 }'
}

# write_wrk_scripts DIR: for wrk -s,
#   DIR/lead.lua        posts a valid lead form (Accept: application/json, so 201 {"id":…}) with a fresh
#                       idempotency token per request, unique across threads and runs: each post is a new lead;
#   DIR/count.lua       counts the answers by status and prints, after wrk's report,
#                       `STATUSES 201=… 503=…`, `DURATION_US …`, `COUNTS ok=… shed=… other=…` (ok: < 400; shed:
#                       503 and 429, refused on purpose) and `OTHER <statuses> socket errors: …`;
#   DIR/lead-count.lua  both.
write_wrk_scripts() {
  cat >"$1/threads.lua" <<'LUA'
local threads = {}
setup = function(thread) table.insert(threads, thread); thread:set("id", #threads) end
LUA
  cat >"$1/lead.part.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
local n, started = 0, os.time()
request = function()
  n = n + 1
  local token = string.format("%08x%02x%012d", started, id or 0, n)
  return wrk.format(nil, "/leads", nil,
    "name=Capacity+Test&email=cap%40example.com&interest=beans&form_token=" .. token)
end
LUA
  cat >"$1/count.part.lua" <<'LUA'
init = function() statuses = {} end
response = function(status) statuses[status] = (statuses[status] or 0) + 1 end
done = function(summary)
  local all, codes = {}, {}
  for _, t in ipairs(threads) do
    for status, count in pairs(t:get("statuses")) do all[status] = (all[status] or 0) + count end
  end
  for status in pairs(all) do table.insert(codes, status) end
  table.sort(codes)
  local ok, shed, other, listed, other_codes = 0, 0, 0, "", ""
  for _, status in ipairs(codes) do
    local count = all[status]
    listed = listed .. string.format(" %d=%d", status, count)
    if status < 400 then ok = ok + count
    elseif status == 503 or status == 429 then shed = shed + count
    else other = other + count; other_codes = other_codes .. status .. " " end
  end
  local e = summary.errors
  io.write("STATUSES" .. listed .. "\n")
  io.write(string.format("DURATION_US %d\n", summary.duration))
  io.write(string.format("COUNTS ok=%d shed=%d other=%d\n", ok, shed, other))
  io.write(string.format("OTHER %s socket errors: connect %d, read %d, write %d, timeout %d\n",
    other_codes, e.connect, e.read, e.write, e.timeout))
end
LUA
  cat "$1/threads.lua" "$1/lead.part.lua" >"$1/lead.lua"
  cat "$1/threads.lua" "$1/count.part.lua" >"$1/count.lua"
  cat "$1/threads.lua" "$1/lead.part.lua" "$1/count.part.lua" >"$1/lead-count.lua"
}
