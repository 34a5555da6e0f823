#!/usr/bin/env bash
# Staff dashboard at scale: generates N leads (default 1 000 000), lets the app build their search index at
# boot (timed), then measures the lead list page and searches (p50/p99 with wrk, signed in) and the CSV
# export (rows/s, the process's RSS before and after), on SQLite and, with --mysql-url, on MariaDB.
#
# Usage: bench/admin.sh [--leads 1000000] [--mysql-url URL] [--binary PATH] [--duration S] [--log-level L] [--rows]
#   --leads N      leads to generate, in each database (default 1000000)
#   --mysql-url U  an admin login to MariaDB, e.g. "$RR_TEST_MYSQL_URL" from scripts/mariadb-test-server.sh:
#                  measures MariaDB too, in a database made for the run and dropped after it. Also needs
#                  RR_TEST_MARIADB_SOCKET (root over the socket, as that script exports it) to fill the table
#   --binary PATH  the binary (default: $RR_BENCH_BINARY, else target/x86_64-unknown-linux-musl/release/
#                  ritual-roast, built with cargo when missing)
#   --duration S   seconds of wrk on each path (default 8 on the list pages, 5 on the searches)
#   --log-level L  the app's LOG_LEVEL (default warn: no request lines); "default" leaves it unset, i.e. the
#                  binary's default settings, one JSON line per request (what bench/limits.sh measures)
#   --rows         for other scripts (bench/limits.sh): the results also as `label<TAB>value` lines on stdout,
#                  the report on stderr. DB is sqlite or mariadb: DB.leads, DB.index_build_s; DB.list_p50_ms,
#                  DB.list_p99_ms, DB.list_worst_path (the list path with the worst p50, and its p99);
#                  DB.search_p50_ms, DB.search_p99_ms, DB.search_worst_path (the same over the searches);
#                  DB.export_rows, DB.export_first_rows_per_s, DB.export_rows_per_s (the second export),
#                  DB.rss_before_export_kb, DB.rss_after_export_kb
# RR_BENCH_BUFFER_POOL=bytes sets MariaDB's InnoDB buffer pool for the run (default 1 GiB).
set -euo pipefail
cd "$(dirname "$0")/.."
leads=1000000 mysql_admin="" list_seconds=8 search_seconds=5 log_level=warn rows=""
bin=${RR_BENCH_BINARY:-target/x86_64-unknown-linux-musl/release/ritual-roast}
while [ $# -gt 0 ]; do
  case "$1" in
    --leads) leads=$2; shift 2 ;;
    --mysql-url) mysql_admin=$2; shift 2 ;;
    --binary) bin=$2; shift 2 ;;
    --duration) list_seconds=$2; search_seconds=$2; shift 2 ;;
    --log-level) log_level=$2; shift 2 ;;
    --rows) rows=1; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
# With --rows, fd 3 takes the rows and the report goes to stderr; without, the rows go nowhere.
if [ -n "$rows" ]; then exec 3>&1 1>&2; else exec 3>/dev/null; fi
row() { printf '%s\t%s\n' "$1" "$2" >&3; }
log_env=(LOG_LEVEL="$log_level")
[ "$log_level" = default ] && log_env=()

. bench/common.sh
bench_setup rr-admin-bench "$bin" wrk:wrk curl:curl

# Rows spread over the last 120 days, statuses and interests cycling, a third with consent.
generate_sqlite() { # file
  python3 - "$1" "$leads" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); n = int(sys.argv[2])
db.execute("""WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
INSERT INTO leads (name, email, phone, interest, message, consent, consent_at, status, form_token, created_at, updated_at, version)
SELECT 'Guest ' || i, 'guest' || i || '@example.com', '', 
  CASE i % 6 WHEN 0 THEN 'subscription' WHEN 1 THEN 'wholesale' WHEN 2 THEN 'beans' WHEN 3 THEN 'classes' WHEN 4 THEN 'events' ELSE 'other' END,
  'Generated lead number ' || i, i % 3 = 0, CASE WHEN i % 3 = 0 THEN datetime('now', '-' || (i % 120) || ' days') END,
  CASE i % 5 WHEN 0 THEN 'new' WHEN 1 THEN 'contacted' WHEN 2 THEN 'qualified' WHEN 3 THEN 'won' ELSE 'lost' END,
  'bench' || i, strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (i % 120) || ' days', '-' || (i % 86400) || ' seconds'),
  strftime('%Y-%m-%d %H:%M:%f', 'now'), 1
FROM seq""", (n,))
db.execute("INSERT INTO lead_search_backlog (lead_id) SELECT id FROM leads")
db.commit()
PY
}

root_sql() { mariadb --socket="${RR_TEST_MARIADB_SOCKET:?run with the MariaDB from scripts/mariadb-test-server.sh}" -uroot "$@"; }

generate_mysql() { # database
  root_sql "$1" <<SQL
INSERT INTO leads (name, email, phone, interest, message, consent, consent_at, status, form_token, created_at, updated_at, version)
SELECT CONCAT('Guest ', seq), CONCAT('guest', seq, '@example.com'), '',
  ELT(seq % 6 + 1, 'subscription', 'wholesale', 'beans', 'classes', 'events', 'other'),
  CONCAT('Generated lead number ', seq), seq % 3 = 0, IF(seq % 3 = 0, NOW(6) - INTERVAL (seq % 120) DAY, NULL),
  ELT(seq % 5 + 1, 'new', 'contacted', 'qualified', 'won', 'lost'), CONCAT('bench', seq),
  NOW(6) - INTERVAL (seq % 120) DAY - INTERVAL (seq % 86400) SECOND, NOW(6), 1
FROM seq_1_to_${leads};
INSERT INTO lead_search_backlog (lead_id) SELECT id FROM leads;
SQL
}

# The list's "next page" link after following it $3 times: a deep keyset page, not only the first.
next_page() { # port, cookie, hops
  local path="/admin/leads?status=won&sort=name"
  for _ in $(seq 1 "$3"); do
    path=$(curl -s -H "Cookie: $2" "http://127.0.0.1:$1$path" | grep -o 'href="[^"]*" rel="next"' | cut -d'"' -f2 | sed 's/&amp;/\&/g')
    [ -n "$path" ] || break
  done
  echo "$path"
}

# How many leads still wait to be indexed for search, in the database being measured.
backlog_left() {
  if [ -n "${bench_db:-}" ]; then
    root_sql -N -e "SELECT COUNT(*) FROM $bench_db.lead_search_backlog"
  else
    python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM lead_search_backlog').fetchone()[0])" "$work/admin.sqlite3"
  fi
}

# wrk on each path (GROUP: list or search), one report line each; rows for the path with the worst p50.
measure_paths() { # group, port, cookie, connections, seconds, paths…
  local group=$1 p=$2 cookie=$3 c=$4 seconds=$5; shift 5
  local path out p50 p99 worst=-1 worst_p99="" worst_path=""
  for path in "$@"; do
    out=$(wrk -t1 -c"$c" -d"${seconds}s" --timeout 30s --latency -H "Cookie: $cookie" "http://127.0.0.1:$p$path")
    p50=$(wrk_ms 50% <<<"$out"); p99=$(wrk_ms 99% <<<"$out")
    printf '  %-36s p50 %-9s p99 %-9s %s req/s\n' "$path" "$p50 ms" "$p99 ms" "$(wrk_rate <<<"$out")"
    if awk -v a="$p50" -v b="$worst" 'BEGIN { exit !(a > b) }'; then worst=$p50 worst_p99=$p99 worst_path=$path; fi
  done
  row "$key.${group}_p50_ms" "$worst"
  row "$key.${group}_p99_ms" "$worst_p99"
  row "$key.${group}_worst_path" "$worst_path"
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

measure() { # label, key (sqlite or mariadb), env...
  local label=$1 key=$2; shift 2
  local p app; p=$(free_port)
  env -i PORT="$p" RR_SERVER__HOST=127.0.0.1 LOG_LEVEL=warn RR_STAFF_PASSWORD='benchmark password' "$@" "$bin" staff add --email bench@example.com >/dev/null
  env -i PORT="$p" RR_SERVER__HOST=127.0.0.1 "${log_env[@]}" "$@" "$bin" >"$work/app.log" 2>&1 & app=$!
  pids=("$app")
  wait_for "http://127.0.0.1:$p/health.html"
  # The generated leads wait in the search backlog, as leads stored before the index existed do; the app
  # indexes them in the background at boot. Wait for that (and report how long it took).
  local waited=0
  while [ "$(backlog_left)" != "0" ] && [ $waited -lt 3600 ]; do sleep 1; waited=$((waited + 1)); done
  echo "  search index for $leads older leads built at boot in about ${waited} s (backlog left: $(backlog_left))"
  row "$key.leads" "$leads"
  row "$key.index_build_s" "$waited"
  local cookie
  cookie=$(curl -s -o /dev/null -D - -H "Origin: http://127.0.0.1:$p" --data 'email=bench%40example.com&password=benchmark+password' \
    "http://127.0.0.1:$p/admin/login" | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {printf "%s%s", sep, $2; sep="; "}')
  echo "== $label ($leads leads)"
  # Pages served from an index, under load (4 connections). wrk's default 2 s timeout would hide slow
  # answers from the percentiles, hence --timeout. The last is a deep page (20 "next" links on), if any.
  local list_paths=("/admin/leads" "/admin/leads?status=won&sort=name" "/admin/leads?sort=status&dir=asc" "/admin/leads?owner=unassigned")
  local deep; deep=$(next_page "$p" "$cookie" 20)
  [ -n "$deep" ] && list_paths+=("$deep")
  measure_paths list "$p" "$cookie" 4 "$list_seconds" "${list_paths[@]}"
  # Searches through the index: a rare name, a word every lead has, an accent-folded word, no match.
  measure_paths search "$p" "$cookie" 1 "$search_seconds" \
    "/admin/leads?q=guest99999" "/admin/leads?q=generated" "/admin/leads?q=g%C3%BCest+4242" "/admin/leads?q=nobody-matches-this"
  local rss_before; rss_before=$(rss_kb "$app")
  echo "  RSS before export: $rss_before kB"
  row "$key.rss_before_export_kb" "$rss_before"
  # Twice: the first export may be the first pass that reads rows in sort order (cold database cache).
  local start end lines run rate
  for run in first second; do
    start=$(date +%s.%N)
    lines=$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:$p/admin/leads/export.csv" | wc -l)
    end=$(date +%s.%N)
    rate=$(awk -v r=$((lines - 1)) -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", r / (e - s) }')
    python3 -c "r=$lines-1; t=$end-$start; print(f'  CSV export, $run run: {r} rows in {t:.1f} s = {r/t:,.0f} rows/s')"
    [ $run = first ] && row "$key.export_first_rows_per_s" "$rate"
  done
  row "$key.export_rows" $((lines - 1))
  row "$key.export_rows_per_s" "$rate"
  local rss_after; rss_after=$(rss_kb "$app")
  echo "  RSS after export: $rss_after kB"
  row "$key.rss_after_export_kb" "$rss_after"
  kill "$app"; wait "$app" 2>/dev/null || true
  pids=()
}

env -i RR_DATABASE__SQLITE_PATH="$work/admin.sqlite3" LOG_LEVEL=warn "$bin" migrate >/dev/null
generate_sqlite "$work/admin.sqlite3"
measure SQLite sqlite RR_DATABASE__SQLITE_PATH="$work/admin.sqlite3"

if [ -n "$mysql_admin" ]; then
  db="rr_bench_$$"
  drop_db() { root_sql -e "DROP DATABASE IF EXISTS $db"; }
  # RDS sizes the InnoDB buffer pool at 3/4 of the instance's memory; 1 GiB is a db.t3.small. The test
  # server's 256 MB holds less than the million leads and their indexes (≈ 640 MB), and this data's
  # created_at order is scrambled against insertion order, so a smaller pool makes every export row a disk read.
  root_sql -e "SET GLOBAL innodb_buffer_pool_size = ${RR_BENCH_BUFFER_POOL:-1073741824}"
  echo "MariaDB InnoDB buffer pool: $(root_sql -N -e 'SELECT @@innodb_buffer_pool_size DIV 1048576') MiB"
  root_sql -e "CREATE DATABASE $db CHARACTER SET utf8mb4"
  exit_hooks+=(drop_db)
  url="${mysql_admin%/*}/$db"
  env -i DATABASE_URL="$url" LOG_LEVEL=warn "$bin" migrate >/dev/null
  generate_mysql "$db"
  bench_db=$db measure MariaDB mariadb DATABASE_URL="$url"
fi
