#!/usr/bin/env bash
# Issue 18's table in one run on this machine: every row measured on the shipped static musl binary with its
# default settings (request logs on: JSON lines to stdout, read through a pipe as the container runtime does),
# each against its reference measured in the same run, or against the issue's fixed target.
#   GET / and GET /health.html: against nginx serving the very same bytes with its access log off; and the
#     binary with LOG_LEVEL=off, to show what the logs cost. wrk -t2, keep-alive connections. nginx runs right
#     before and right after the two app runs of each path; the ratio is against the mean of the two (this
#     VM's speed drifts), the p99 against the worse of the two.
#   POST /leads on MariaDB: the app on a fresh database (default settings but the lead rate limits, raised out
#     of the way), wrk -t2 posting a new lead per request (Accept: application/json, answered 201), against the
#     database's raw single-row INSERT ceiling into a copy of the app's own leads table (CREATE TABLE … LIKE;
#     mysqlslap, one client per wrk connection), measured right before and right after the app run (mean).
#     Then the 201 answers wrk counted against the rows in `leads`: every acknowledged lead must be stored.
#   The staff lead list, search and CSV export at --leads leads, on SQLite and MariaDB (bench/admin.sh --rows,
#     default log settings): the worst p50 over the list paths and over the searches, the export's rows/s (its
#     second run) and the process's RSS after the export.
# Prints one markdown table: measured, reference from the same run, ratio, the issue's target, meets target.
#
# Usage: bench/limits.sh [--duration 10] [--connections 64] [--binary PATH] [--leads 1000000] [--skip-admin]
#   --duration S     seconds of each wrk run, the admin paths' included (default 10)
#   --connections N  wrk connections on the GET and POST rows, and mysqlslap's clients (default 64, as the issue)
#   --binary PATH    the binary to measure (default: $CARGO_TARGET_DIR or target/, x86_64-unknown-linux-musl/
#                    release/ritual-roast, built with `cargo build --release --target x86_64-unknown-linux-musl`
#                    when missing)
#   --leads N        leads generated for the admin rows, in each database (default 1000000, as the issue; most
#                    of the run's time then: generating them and waiting for the app to index them for search)
#   --skip-admin     leave out the admin rows
# MariaDB: the server of RR_TEST_MYSQL_URL and RR_TEST_MARIADB_SOCKET when set (as scripts/mariadb-test-server.sh
# exports them; its databases for this run are dropped after it), else a throwaway one started with that
# script, stopped and removed on exit. Installs wrk, nginx-light, curl and mariadb-client with apt when missing.
# Everything it starts is stopped on exit, on an error or Ctrl-C too.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10 connections=64 leads=1000000 skip_admin=""
bin="${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-musl/release/ritual-roast"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --binary) bin=$2; shift 2 ;;
    --leads) leads=$2; shift 2 ;;
    --skip-admin) skip_admin=1; shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

. bench/common.sh
bench_setup rr-limits "$bin" wrk:wrk nginx:nginx-light curl:curl mysqlslap:mariadb-client
# Every figure, as `key<TAB>value` lines; the table is made from them at the end.
result() { printf '%s\t%s\n' "$1" "$2" >>"$work/results"; }

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
# stop_app NAME: SIGTERM, then the line count of its stdout once the reader has it.
stop_app() {
  kill -TERM "$(cat "$work/$1.pid")"
  for _ in $(seq 1 100); do [ -s "$work/$1.lines" ] && break; sleep 0.1; done
  touch "$work/$1.dropped"
  result "$1.log_lines" "$(cat "$work/$1.lines")"
  result "$1.log_lines_dropped" "$(grep -o '"dropped":[0-9]*' "$work/$1.dropped" | awk -F: '{ n += $2 } END { print n + 0 }')"
}

# ---- GET / and GET /health.html against nginx ----
start_app logs_on
start_app logs_off LOG_LEVEL=off
on_port=$(cat "$work/logs_on.port"); off_port=$(cat "$work/logs_off.port")
nginx_port=$(free_port)
start_nginx "$on_port" "$nginx_port"
wait_for "http://127.0.0.1:$nginx_port/health.html"

# wrk_stats KEY URL: its req/s and p99 (ms) as results KEY.rps, KEY.p99_ms; warns about non-2xx answers.
wrk_stats() {
  local out; out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$2")
  if grep -q 'Non-2xx' <<<"$out"; then echo "warning: $2: $(grep 'Non-2xx' <<<"$out")" >&2; fi
  result "$1.rps" "$(wrk_rate <<<"$out")"
  result "$1.p99_ms" "$(wrk_ms 99% <<<"$out")"
}
measure_get() { # key path
  echo "measuring GET $2 (${duration}s × 4)…" >&2
  wrk_stats "$1.nginx1" "http://127.0.0.1:$nginx_port$2"
  wrk_stats "$1.on" "http://127.0.0.1:$on_port$2"
  wrk_stats "$1.off" "http://127.0.0.1:$off_port$2"
  wrk_stats "$1.nginx2" "http://127.0.0.1:$nginx_port$2"
}
measure_get root /
measure_get health /health.html
stop_app logs_on
stop_app logs_off

# ---- POST /leads on MariaDB against the database's INSERT ceiling ----
mariadb_start
mysql_login "$RR_TEST_MYSQL_URL"
result mariadb.version "$(sql -N -e 'SELECT VERSION()')"
leads_db="rr_limits_leads_$$" ceiling_db="rr_limits_ceiling_$$"
drop_databases() { sql -e "DROP DATABASE IF EXISTS \`$leads_db\`; DROP DATABASE IF EXISTS \`$ceiling_db\`"; }
[ -n "$own_mariadb" ] || exit_hooks+=(drop_databases)
sql -e "CREATE DATABASE \`$leads_db\` CHARACTER SET utf8mb4"
start_app leads DATABASE_URL="$db_base/$leads_db" \
  RR_LEADS__RATE_LIMIT_PER_MINUTE=100000000 RR_LEADS__RATE_LIMIT_BURST=100000000
write_wrk_scripts "$work"
queries=$((duration * 4000))
echo "measuring POST /leads on MariaDB (INSERT ceiling, ${duration}s of posts, INSERT ceiling)…" >&2
result post.ceiling1 "$(insert_ceiling "$leads_db" "$ceiling_db" "$queries" "$connections")"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$work/lead-count.lua" \
  "http://127.0.0.1:$(cat "$work/leads.port")" >"$work/post.out"
sleep 1 # posts still in flight when wrk stopped land too (unacknowledged): let them, then count
result post.stored "$(sql -N -e "SELECT COUNT(*) FROM \`$leads_db\`.leads")"
result post.ceiling2 "$(insert_ceiling "$leads_db" "$ceiling_db" "$queries" "$connections")"
result post.p99_ms "$(wrk_ms 99% <"$work/post.out")"
result post.statuses "$(awk '$1 == "STATUSES" { $1 = ""; sub(/^ /, ""); print }' "$work/post.out")"
result post.acked "$(awk '$1 == "STATUSES" { for (i = 2; i <= NF; i++) if ($i ~ /^201=/) { sub(/^201=/, "", $i); n = $i } } END { print n + 0 }' "$work/post.out")"
result post.seconds "$(awk '$1 == "DURATION_US" { print $2 / 1e6 }' "$work/post.out")"
result post.errors "$(sed -n 's/^OTHER .*socket errors: //p' "$work/post.out")"
stop_app leads

# ---- the staff list, search and export at --leads leads (bench/admin.sh) ----
if [ -z "$skip_admin" ]; then
  : "${RR_TEST_MARIADB_SOCKET:?the admin rows need RR_TEST_MARIADB_SOCKET with RR_TEST_MYSQL_URL (or --skip-admin)}"
  echo "measuring the staff list, search and export at $leads leads (bench/admin.sh)…" >&2
  bench/admin.sh --rows --leads "$leads" --mysql-url "$RR_TEST_MYSQL_URL" --binary "$bin" \
    --duration "$duration" --log-level default >>"$work/results"
fi

echo
echo "$(date -u +%Y-%m-%d) · $(nproc) cores · wrk -t2 -c$connections -d${duration}s · nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), $(nproc) workers, access_log off · MariaDB $(sql -N -e 'SELECT VERSION()') · app: $bin ($(du -h "$bin" | cut -f1)), default settings"
echo
python3 - "$work/results" "$connections" "$leads" "$skip_admin" <<'PY'
import sys
path, connections, leads, skip_admin = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
r = dict(line.rstrip("\n").split("\t", 1) for line in open(path) if "\t" in line)
f = lambda key: float(r[key])
rows = []
def row(path, setting, measured, reference, ratio, target, meets):
    yes = "—" if meets is None else ("**yes**" if meets else "**no**")
    rows.append(f"| {path} | {setting} | {measured} | {reference} | {ratio} | {target} | {yes} |")

for key, label in (("root", "GET /"), ("health", "GET /health.html")):
    n1, n2 = f(f"{key}.nginx1.rps"), f(f"{key}.nginx2.rps")
    nginx_rps, nginx_p99 = (n1 + n2) / 2, max(f(f"{key}.nginx1.p99_ms"), f(f"{key}.nginx2.p99_ms"))
    nginx = f"nginx {nginx_rps:,.0f} req/s ({n1:,.0f} / {n2:,.0f})"
    on, on_p99 = f(f"{key}.on.rps"), f(f"{key}.on.p99_ms")
    row(label, "logs on (default)", f"{on:,.0f} req/s", nginx, f"{on / nginx_rps:.2f}×", "≥ 1.0× nginx", on >= nginx_rps)
    if key == "root":
        row(f"{label} p99", "logs on (default)", f"{on_p99:.2f} ms", f"nginx {nginx_p99:.2f} ms (worse of two)",
            f"{on_p99 / nginx_p99:.2f}×", "≤ nginx's", on_p99 <= nginx_p99)
    else:
        row(f"{label} p99", "logs on (default)", f"{on_p99:.2f} ms", f"nginx {nginx_p99:.2f} ms (worse of two)",
            f"{on_p99 / nginx_p99:.2f}×", "shown", None)
    off = f(f"{key}.off.rps")
    row(label, "LOG_LEVEL=off", f"{off:,.0f} req/s, p99 {f(f'{key}.off.p99_ms'):.2f} ms", nginx,
        f"{off / nginx_rps:.2f}×", "shown", None)

c1, c2 = f("post.ceiling1"), f("post.ceiling2")
ceiling = (c1 + c2) / 2
acked, stored, seconds = int(f("post.acked")), int(f("post.stored")), f("post.seconds")
rate = acked / seconds
db = "MariaDB, logs on (default)"
row("POST /leads", db, f"{rate:,.0f} leads/s (201 answers)",
    f"INSERT ceiling {ceiling:,.0f}/s ({c1:,.0f} / {c2:,.0f}; mysqlslap, {connections} clients)",
    f"{rate / ceiling:.2f}×", "≥ 0.8× ceiling", rate >= 0.8 * ceiling)
p99 = f("post.p99_ms")
row("POST /leads p99", f"MariaDB, {connections} connections", f"{p99:.2f} ms", "—", "—", "< 20 ms", p99 < 20)
row("POST /leads stored", "MariaDB", f"{stored:,} rows for {acked:,} 201 answers", "—", "—",
    "every acknowledged lead stored", stored >= acked)

if not skip_admin:
    at = f"{leads:,} leads"
    dbs = (("sqlite", "SQLite"), ("mariadb", "MariaDB"))
    for group, label, target in (("list", "lead list", 10), ("search", "search", 30)):
        for key, name in dbs:
            p50, p99, worst = f(f"{key}.{group}_p50_ms"), f(f"{key}.{group}_p99_ms"), r[f"{key}.{group}_worst_path"]
            row(f"admin {label} at {at}: p50, worst path", name, f"{p50:.2f} ms (p99 {p99:.2f} ms; `{worst}`)",
                "—", "—", f"< {target} ms", p50 < target)
    for key, name in dbs:
        exported, eps, first = int(f(f"{key}.export_rows")), f(f"{key}.export_rows_per_s"), f(f"{key}.export_first_rows_per_s")
        row(f"CSV export at {at}", name, f"{eps:,.0f} rows/s ({exported:,} rows, second run; first {first:,.0f})",
            "—", "—", "≥ 250k rows/s", eps >= 250_000)
    for key, name in dbs:
        rss, before = f(f"{key}.rss_after_export_kb") / 1024, f(f"{key}.rss_before_export_kb") / 1024
        row(f"CSV export at {at}: RSS", name, f"{rss:.1f} MB after the export ({before:.1f} MB before)", "—", "—",
            "< 32 MB", rss < 32)

print("| path | database / logs | measured | reference, same run | ratio | target (issue 18) | meets target |")
print("| --- | --- | --- | --- | --- | --- | --- |")
print("\n".join(rows))
print()
print(f"POST /leads answers: {r['post.statuses'] or 'none'} in {seconds:.1f} s; socket errors: {r['post.errors']}; "
      f"{stored - acked:+,} rows beyond the 201s (posts in flight when wrk stopped).")
lines = lambda k: int(f(f"{k}.log_lines"))
dropped = sum(int(f(f"{k}.log_lines_dropped")) for k in ("logs_on", "leads"))
print(f"Log lines written: {lines('logs_on'):,} by the GET app with logs on, {lines('logs_off'):,} with LOG_LEVEL=off, "
      f"{lines('leads'):,} by the POST app; dropped (buffer full): {dropped:,}.")
if not skip_admin:
    print(f"Admin rows: {leads:,} generated leads in each database"
          + ("" if leads == 1_000_000 else " (the issue's targets are for 1,000,000: --leads 1000000)")
          + f"; their search index, built at boot, took {r['sqlite.index_build_s']} s (SQLite) and "
          f"{r['mariadb.index_build_s']} s (MariaDB). RSS: VmRSS, MB = 1024 kB.")
PY
