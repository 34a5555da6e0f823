#!/usr/bin/env bash
# The real image, end to end: the release binary is statically linked; Dockerfile.scratch builds from it
# (nothing pulled); the container runs with a read-only root filesystem as uid 10001 against the MariaDB on
# the host, answers /health.html, stores a lead, and exits cleanly on SIGTERM.
# Needs: the release musl binary (built if missing), Docker, and RR_TEST_MYSQL_URL + RR_TEST_MARIADB_SOCKET
# from scripts/mariadb-test-server.sh (scripts/test.sh provides them). Prints "N passed, M failed" last.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
bin=target/x86_64-unknown-linux-musl/release/ritual-roast
passed=0 failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "  ok    $1"; else failed=$((failed + 1)); echo "  FAIL  $1"; fi; }
finish() { echo; echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

: "${RR_TEST_MYSQL_URL:?run through scripts/test.sh (it starts MariaDB)}"
[ -x "$bin" ] || cargo build --release --target x86_64-unknown-linux-musl --quiet
command -v docker >/dev/null || { echo "docker is required"; failed=1; finish; }

check "the release binary is statically linked" 'file "$bin" | grep -q "static-pie linked\|statically linked"'
check "the binary has no dynamic section (no interpreter, no shared libraries)" '! readelf -d "$bin" 2>/dev/null | grep -q NEEDED'

tag="ritual-roast-image-test:$$"
ctx=$(mktemp -d /tmp/rr-image.XXXXXX)
name="rr-image-test-$$"
trap 'docker rm -f "$name" >/dev/null 2>&1; docker rmi -f "$tag" >/dev/null 2>&1; rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/ritual-roast"
cp Dockerfile.scratch "$ctx/Dockerfile"
check "Dockerfile.scratch builds from the prebuilt binary with nothing pulled" \
  'docker build -q --build-arg BINARY=ritual-roast -t "$tag" "$ctx" >/dev/null'
size=$(docker image inspect -f '{{.Size}}' "$tag" 2>/dev/null || echo 0)
echo "  image size: $((size / 1024 / 1024)) MB ($size bytes)"
check "the image is at most 15 MB" '[ "$size" -gt 0 ] && [ "$size" -le $((15 * 1024 * 1024)) ]'
check "the image runs as a non-root numeric user" '[ "$(docker image inspect -f "{{.Config.User}}" "$tag")" = "10001:10001" ]'
check "the image stops with SIGTERM" '[ "$(docker image inspect -f "{{.Config.StopSignal}}" "$tag")" = "SIGTERM" ]'

db="rr_image_$$"
mariadb --socket="$RR_TEST_MARIADB_SOCKET" -uroot -e "CREATE DATABASE $db CHARACTER SET utf8mb4"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Host networking reaches the MariaDB on the host's loopback; a high port, since the host keeps the
# unprivileged-port limit that a container's own network namespace lifts.
docker run -d --name "$name" --read-only --network host -e PORT="$port" -e RR_SERVER__HOST=127.0.0.1 \
  -e DATABASE_URL="${RR_TEST_MYSQL_URL%/*}/$db" "$tag" >/dev/null
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health.html" >/dev/null && break; sleep 0.1; done
check "/health.html answers 200 from the read-only container" '[ "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$port/health.html")" = 200 ]'
check "/readyz reports MySQL with the schema up to date" 'curl -s "http://127.0.0.1:$port/readyz" | grep -q "\"up_to_date\":true"'
lead=$(curl -s -H 'Accept: application/json' --data 'name=Image+Test&email=image%40example.com&interest=beans' "http://127.0.0.1:$port/leads")
check "a lead submitted to the container is stored in MariaDB" \
  '[ "$(mariadb --socket="$RR_TEST_MARIADB_SOCKET" -uroot -N -e "SELECT COUNT(*) FROM $db.leads WHERE email = '"'"'image@example.com'"'"'")" = 1 ]'
echo "  lead answer: $lead"
check "the container writes nothing to its root filesystem" '[ -z "$(docker diff "$name")" ]'
docker stop -t 20 "$name" >/dev/null
check "SIGTERM stops the container cleanly (exit code 0)" '[ "$(docker inspect -f "{{.State.ExitCode}}" "$name")" = 0 ]'
check "the log says it stopped cleanly" 'docker logs "$name" 2>&1 | grep -q "stopped cleanly"'
mariadb --socket="$RR_TEST_MARIADB_SOCKET" -uroot -e "DROP DATABASE $db"
finish
