#!/usr/bin/env bash
# The real image, end to end: the release binary is statically linked; Dockerfile.scratch builds from it (nothing
# pulled); the image declares uid 10001, SIGTERM and one port; that very binary serves from the image as uid
# 10001 on the declared port with nothing overridden; with a read-only root it answers /health.html and /readyz
# against the MariaDB on the host, stores a lead and exits cleanly on SIGTERM; and it writes nothing to its root
# filesystem (checked on a writable twin, since `docker diff` of a read-only container is empty by construction).
# The production-like run (bridge network, Secrets Manager, TLS, rotation) is tests/rehearsal/run.sh.
# Needs: the release musl binary (built if missing), Docker, binutils (installed if missing), and
# RR_TEST_MYSQL_URL + RR_TEST_MARIADB_SOCKET from scripts/mariadb-test-server.sh (scripts/test.sh provides them).
# Fails, never skips, when something is missing. Prints "N passed, M failed" last.

# Checks are functions that `check` and the EXIT trap call by name, which shellcheck cannot follow.
# shellcheck disable=SC2317
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

bin=${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-musl/release/ritual-roast
run_id=rr-image-test-$$
tag=$run_id:image
passed=0 failed=0

check() { # description, command... — runs the command; its exit status is the verdict
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "  ok    $what"; else failed=$((failed + 1)); echo "  FAIL  $what"; fi
}
finish() { echo; echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; exit $?; }
fatal() { echo "image test: $*" >&2; failed=$((failed + 1)); finish; }

ensure_apt() { # command, package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 (apt)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") >/dev/null 2>&1
  command -v "$1" >/dev/null 2>&1
}

prerequisites() {
  if [ -z "${RR_TEST_MYSQL_URL:-}" ] || [ -z "${RR_TEST_MARIADB_SOCKET:-}" ]; then
    fatal "RR_TEST_MYSQL_URL/RR_TEST_MARIADB_SOCKET are not set: run through scripts/test.sh (it starts MariaDB)"
  fi
  docker info >/dev/null 2>&1 || fatal "a running Docker engine is required (docker info failed)"
  ensure_apt readelf binutils || fatal "readelf is required (apt package binutils) and could not be installed"
  ensure_apt file file || fatal "file is required and could not be installed"
  ensure_apt curl curl || fatal "curl is required and could not be installed"
  if [ ! -x "$bin" ]; then
    echo "building the release binary ($bin)"
    cargo build --quiet --release --target x86_64-unknown-linux-musl || fatal "the release build failed"
  fi
}

cleanup() {
  local c
  for c in "$run_id"-{declared,readonly,writable,control}; do docker rm -f "$c" >/dev/null 2>&1; done
  docker rmi -f "$tag" >/dev/null 2>&1
  rm -rf "${ctx:-}"
  [ -n "${db:-}" ] && sql "DROP DATABASE IF EXISTS $db" 2>/dev/null
}

sql() { mariadb --socket="$RR_TEST_MARIADB_SOCKET" -uroot -N -B -e "$1"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- the binary and the image ------------------------------------------------------------------------------------

# Outputs are read whole before grep: with pipefail, `producer | grep -q` can fail by SIGPIPE when grep stops early.
statically_linked() { grep -q "static-pie linked\|statically linked" <<<"$(file "$bin")"; }

no_dynamic_dependencies() { # readelf must run: a missing or failing readelf is a failure, not a pass
  local headers dynamic
  headers=$(readelf -lW "$bin") || return 1
  dynamic=$(readelf -dW "$bin") || return 1
  ! grep -q 'INTERP' <<<"$headers" && ! grep -q '(NEEDED)' <<<"$dynamic"
}

build_image() {
  ctx=$(mktemp -d /tmp/rr-image.XXXXXX)
  cp "$bin" "$ctx/ritual-roast"
  cp Dockerfile.scratch "$ctx/Dockerfile"
  local out # the legacy builder's deprecation notice is noise; the output matters only on failure
  out=$(docker build -q --build-arg BINARY=ritual-roast -t "$tag" "$ctx" 2>&1) || { echo "$out"; return 1; }
}

image_field() { docker image inspect -f "$1" "$tag"; }

# Sets declared_port when the image declares exactly one TCP port and ENV PORT names the same one.
one_declared_port() {
  local exposed env_port
  # shellcheck disable=SC2016 # a Go template, not a shell expansion
  exposed=$(image_field '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}')
  env_port=$(image_field '{{range .Config.Env}}{{println .}}{{end}}' | sed -n 's/^PORT=//p')
  echo "    EXPOSE ${exposed:-none}; ENV PORT=${env_port:-unset}"
  [ "$exposed" = "$env_port/tcp " ] && declared_port=$env_port
}

# --- containers --------------------------------------------------------------------------------------------------

running() { [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
container_ip() { docker inspect -f '{{.NetworkSettings.IPAddress}}' "$1"; }
indent() { sed 's/^/    | /'; }
status() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1"; }

wait_for() { # container, url — until the url answers 200 (30 s) or the container exits
  local _
  for _ in $(seq 1 150); do
    [ "$(status "$2")" = 200 ] && return 0
    running "$1" || break
    sleep 0.2
  done
  echo "    $2 did not answer 200; the container's log:"; docker logs "$1" 2>&1 | tail -10 | indent
  return 1
}

# The image as it is, nothing overridden: default bridge network, the image's user, ENV PORT and command. No
# database settings means the built-in SQLite file in /data, hence a tmpfs there; privileged ports stay
# privileged (Docker would otherwise let any user bind them) and no capability is left.
run_as_declared() {
  docker run -d --name "$run_id-declared" --read-only --tmpfs /data:uid=10001,gid=10001 --cap-drop ALL \
    --sysctl net.ipv4.ip_unprivileged_port_start=1024 "$tag" >/dev/null
}

process_is_the_binary_as() { # container, uid — its only process is /ritual-roast serve, running as uid
  local top
  top=$(docker top "$1" -o pid,uid,args 2>/dev/null | awk 'NR > 1 { $1 = ""; print substr($0, 2) }') || return 1
  echo "    process: $top"
  [ "$top" = "$2 /ritual-roast serve" ]
}

image_holds_the_release_binary() { # the file in the image is byte for byte the binary this test checked
  local inside outside
  inside=$(docker cp "$run_id-declared:/ritual-roast" - | tar -xO | sha256sum | cut -d' ' -f1)
  outside=$(sha256sum "$bin" | cut -d' ' -f1)
  [ -n "$inside" ] && [ "$inside" = "$outside" ]
}

# The MySQL workload container: host networking reaches the test MariaDB on the host's loopback, on a free port.
run_with_mysql() { # name, port, extra docker flags...
  local name=$1 port=$2; shift 2
  docker run -d --name "$name" "$@" --network host -e PORT="$port" -e RR_SERVER__HOST=127.0.0.1 \
    -e DATABASE_URL="${RR_TEST_MYSQL_URL%/*}/$db" "$tag" >/dev/null
}

readyz_up_to_date() { grep -q '"up_to_date":true' <<<"$(curl -s -m 5 "$1/readyz")"; }

post_lead() { # base url, email — prints the acknowledged id
  curl -s -m 10 -H 'Accept: application/json' --data "name=Image+Test&email=${2/@/%40}&interest=beans" "$1/leads" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' 2>/dev/null
}

lead_stored() { # id, email
  [[ $1 =~ ^[0-9]+$ ]] && [ "$(sql "SELECT COUNT(*) FROM $db.leads WHERE id = $1 AND email = '$2'")" = 1 ]
}

# The same requests as the read-only run, so any write they cause would show in `docker diff`.
exercise() { # container, base url
  wait_for "$1" "$2/health.html" && [ "$(status "$2/readyz")" = 200 ] &&
    [ -n "$(post_lead "$2" writable@example.com)" ] && [ "$(status "$2/")" = 200 ]
}

root_filesystem_unchanged() { # container — it must still be running, or its diff proves nothing
  running "$1" || { echo "    $1 is not running"; return 1; }
  local changes
  changes=$(docker diff "$1") || return 1
  [ -z "$changes" ] || { echo "    docker diff $1:"; indent <<<"$changes"; return 1; }
}

# Control for the check above: the same image run as root with the default SQLite file does write (/data), and
# `docker diff` must show it — otherwise an empty diff would mean nothing.
diff_sees_a_write() { # polls for up to 15 s: the file appears once the app has migrated its database
  docker run -d --name "$run_id-control" --user 0:0 "$tag" >/dev/null || return 1
  local _
  for _ in $(seq 1 75); do
    grep -q '^A /data/ritual-roast.sqlite3$' <<<"$(docker diff "$run_id-control")" && return 0
    sleep 0.2
  done
  return 1
}

stop_cleanly() { # container — SIGTERM, exit code 0, and the log says so
  docker stop -t 20 "$1" >/dev/null
  [ "$(docker inspect -f '{{.State.ExitCode}}' "$1")" = 0 ] && grep -q "stopped cleanly" <<<"$(docker logs "$1" 2>&1)"
}

main() {
  prerequisites
  trap cleanup EXIT
  check "the release binary is statically linked" statically_linked
  check "the binary has no interpreter and no shared libraries (readelf)" no_dynamic_dependencies

  check "Dockerfile.scratch builds from the prebuilt binary with nothing pulled" build_image
  local size
  size=$(image_field '{{.Size}}' 2>/dev/null || echo 0)
  echo "  image size: $((size / 1024 / 1024)) MB ($size bytes)"
  # The limit and why it is what it is: tests/image/max-bytes(.md), shared with tests/deploy/run.sh.
  local max_bytes
  max_bytes=$(cat tests/image/max-bytes)
  check "the image is at most $((max_bytes / 1024 / 1024)) MiB (tests/image/max-bytes)" test "$size" -gt 0 -a "$size" -le "$max_bytes"
  check "the image runs as a non-root numeric user" test "$(image_field '{{.Config.User}}')" = 10001:10001
  check "the image stops with SIGTERM" test "$(image_field '{{.Config.StopSignal}}')" = SIGTERM
  declared_port=
  check "the image declares one port, the same in EXPOSE and ENV PORT" one_declared_port
  check "that port is 8080 (unprivileged: no capability or sysctl needed)" test "$declared_port" = 8080

  echo "-- the image as declared (default bridge network, nothing overridden)"
  run_as_declared
  local declared_url
  declared_url="http://$(container_ip "$run_id-declared"):${declared_port:-8080}"
  check "/health.html answers 200 on the container's address and the declared port" \
    wait_for "$run_id-declared" "$declared_url/health.html"
  check "the serving process is /ritual-roast serve as uid 10001" process_is_the_binary_as "$run_id-declared" 10001
  check "the image's /ritual-roast is byte for byte the release binary checked above" image_holds_the_release_binary

  echo "-- read-only root filesystem, MariaDB on the host"
  db="rr_image_$$"
  sql "CREATE DATABASE $db CHARACTER SET utf8mb4" || fatal "could not create database $db"
  local port url lead
  port=$(free_port)
  url="http://127.0.0.1:$port"
  run_with_mysql "$run_id-readonly" "$port" --read-only
  check "/health.html answers 200 from the read-only container" wait_for "$run_id-readonly" "$url/health.html"
  check "/readyz reports MySQL with the schema up to date" readyz_up_to_date "$url"
  lead=$(post_lead "$url" image@example.com)
  check "a lead submitted to the container is stored in MariaDB (id ${lead:-none})" lead_stored "$lead" image@example.com
  check "the read-only container is still running (it did not crash on the way)" running "$run_id-readonly"
  check "SIGTERM stops the container cleanly (exit code 0, 'stopped cleanly' logged)" stop_cleanly "$run_id-readonly"

  echo "-- writes: the same workload on a writable root, then docker diff"
  port=$(free_port)
  url="http://127.0.0.1:$port"
  run_with_mysql "$run_id-writable" "$port"
  check "the writable twin serves health, readiness, a lead and the landing page" \
    exercise "$run_id-writable" "$url"
  check "the app wrote nothing to its root filesystem (docker diff of the running twin is empty)" \
    root_filesystem_unchanged "$run_id-writable"
  check "control: docker diff does show a write (root + default SQLite file creates /data)" diff_sees_a_write
  finish
}

main "$@"
