#!/usr/bin/env bash
# Staff dashboard at scale: generates N leads (default 1 000 000), lets the app build their search index at
# boot (timed), then measures the lead list page and searches (p50/p99 with wrk, signed in) and the CSV
# export (rows/s), on SQLite and, with --mysql-url, on MariaDB.
# Usage: bench/admin.sh [--leads 1000000] [--mysql-url mysql://admin:pw@127.0.0.1:3306/mysql]
#        (RR_BENCH_BUFFER_POOL=bytes sets MariaDB's InnoDB buffer pool for the run; default 1 GiB)
set -euo pipefail
cd "$(dirname "$0")/.."
leads=1000000 mysql_admin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --leads) leads=$2; shift 2 ;;
    --mysql-url) mysql_admin=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
bin=${RR_BENCH_BINARY:-target/x86_64-unknown-linux-musl/release/ritual-roast}
[ -x "$bin" ] || cargo build --release --target x86_64-unknown-linux-musl
work=$(mktemp -d /tmp/rr-admin-bench.XXXXXX)
app=""
trap '[ -n "$app" ] && kill $app 2>/dev/null; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

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

generate_mysql() { # database
  mariadb --socket="${RR_TEST_MARIADB_SOCKET:?run with the MariaDB from scripts/mariadb-test-server.sh}" -uroot "$1" <<SQL
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
  done
  echo "$path"
}

# How many leads still wait to be indexed for search, in the database being measured.
backlog_left() {
  if [ -n "${bench_db:-}" ]; then
    mariadb --socket="$RR_TEST_MARIADB_SOCKET" -uroot -N -e "SELECT COUNT(*) FROM $bench_db.lead_search_backlog"
  else
    python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM lead_search_backlog').fetchone()[0])" "$work/admin.sqlite3"
  fi
}

measure() { # label, env...
  local label=$1; shift
  local p; p=$(port)
  env -i PORT="$p" RR_SERVER__HOST=127.0.0.1 LOG_LEVEL=warn RR_STAFF_PASSWORD='benchmark password' "$@" "$bin" staff add --email bench@example.com >/dev/null
  env -i PORT="$p" RR_SERVER__HOST=127.0.0.1 LOG_LEVEL=warn "$@" "$bin" >"$work/app.log" 2>&1 & app=$!
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$p/health.html" >/dev/null && break; sleep 0.05; done
  # The generated leads wait in the search backlog, as leads stored before the index existed do; the app
  # indexes them in the background at boot. Wait for that (and report how long it took).
  local waited=0
  while [ "$(backlog_left)" != "0" ] && [ $waited -lt 3600 ]; do sleep 1; waited=$((waited + 1)); done
  echo "  search index for $leads older leads built at boot in about ${waited} s (backlog left: $(backlog_left))"
  local cookie
  cookie=$(curl -s -o /dev/null -D - -H "Origin: http://127.0.0.1:$p" --data 'email=bench%40example.com&password=benchmark+password' \
    "http://127.0.0.1:$p/admin/login" | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {printf "%s%s", sep, $2; sep="; "}')
  echo "== $label ($leads leads)"
  # Pages served from an index, under load (4 connections). wrk's default 2 s timeout would hide slow
  # answers from the percentiles, hence --timeout.
  for path in "/admin/leads" "/admin/leads?status=won&sort=name" "/admin/leads?sort=status&dir=asc" "/admin/leads?owner=unassigned" "$(next_page "$p" "$cookie" 20)"; do
    local out; out=$(wrk -t1 -c4 -d8s --timeout 30s --latency -H "Cookie: $cookie" "http://127.0.0.1:$p$path")
    printf '  %-36s p50 %-9s p99 %-9s %s req/s\n' "$path" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
      "$(awk '$1=="99%" {print $2}' <<<"$out")" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  done
  # Searches through the index: a rare name, a word every lead has, an accent-folded word, no match.
  for path in "/admin/leads?q=guest99999" "/admin/leads?q=generated" "/admin/leads?q=g%C3%BCest+4242" "/admin/leads?q=nobody-matches-this"; do
    local out; out=$(wrk -t1 -c1 -d5s --timeout 30s --latency -H "Cookie: $cookie" "http://127.0.0.1:$p$path")
    printf '  %-36s p50 %-9s p99 %-9s %s req/s\n' "$path" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
      "$(awk '$1=="99%" {print $2}' <<<"$out")" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  done
  echo "  RSS before export: $(awk '/VmRSS/ {print $2}' /proc/$app/status) kB"
  # Twice: the first export may be the first pass that reads rows in sort order (cold database cache).
  local start end rows run
  for run in first second; do
    start=$(date +%s.%N)
    rows=$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:$p/admin/leads/export.csv" | wc -l)
    end=$(date +%s.%N)
    python3 -c "r=$rows-1; t=$end-$start; print(f'  CSV export, $run run: {r} rows in {t:.1f} s = {r/t:,.0f} rows/s')"
  done
  echo "  RSS after export: $(awk '/VmRSS/ {print $2}' /proc/$app/status) kB"
  kill $app; wait $app 2>/dev/null || true; app=""
}

env -i RR_DATABASE__SQLITE_PATH="$work/admin.sqlite3" LOG_LEVEL=warn "$bin" migrate >/dev/null
generate_sqlite "$work/admin.sqlite3"
measure SQLite RR_DATABASE__SQLITE_PATH="$work/admin.sqlite3"

if [ -n "$mysql_admin" ]; then
  db="rr_bench_$$"
  # RDS sizes the InnoDB buffer pool at 3/4 of the instance's memory; 1 GiB is a db.t3.small. The test
  # server's 256 MB holds less than the million leads and their indexes (≈ 640 MB), and this data's
  # created_at order is scrambled against insertion order, so a smaller pool makes every export row a disk read.
  mariadb --socket="$RR_TEST_MARIADB_SOCKET" -uroot -e "SET GLOBAL innodb_buffer_pool_size = ${RR_BENCH_BUFFER_POOL:-1073741824}"
  echo "MariaDB InnoDB buffer pool: $(mariadb --socket="$RR_TEST_MARIADB_SOCKET" -uroot -N -e 'SELECT @@innodb_buffer_pool_size DIV 1048576') MiB"
  mariadb --socket="$RR_TEST_MARIADB_SOCKET" -uroot -e "CREATE DATABASE $db CHARACTER SET utf8mb4"
  url="${mysql_admin%/*}/$db"
  env -i DATABASE_URL="$url" LOG_LEVEL=warn "$bin" migrate >/dev/null
  generate_mysql "$db"
  bench_db=$db measure MariaDB DATABASE_URL="$url"
  mariadb --socket="$RR_TEST_MARIADB_SOCKET" -uroot -e "DROP DATABASE $db"
fi
