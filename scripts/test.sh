#!/usr/bin/env bash
# The whole test suite, as CI runs it: unit + integration tests on SQLite, the same integration suite plus
# the MySQL-only tests on a throwaway MariaDB (installed with apt if missing), then the shell suites
# (the scratch image on Docker, the browser suite, the deploy script, the infrastructure template, and the
# production rehearsal of the image on Docker). Prints one summary line per suite and a final
# "N passed, M failed" line; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

export CARGO_TERM_COLOR=never
# Tests that need MariaDB or moto fail instead of skipping when their variables are missing (see
# tests/mysql/support.rs, tests/secrets/main.rs): under this script a skipped test is a failed one.
export RR_TEST_REQUIRE_ALL=1
passed=0 failed=0
summary=()

suite() { # name, command...
  local name=$1; shift
  echo "==> $name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); summary+=("ok      $name ($((SECONDS - start)) s)")
  else
    failed=$((failed + 1)); summary+=("FAILED  $name ($((SECONDS - start)) s)")
  fi
}

ensure_apt() { # binary, package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 (apt)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") >/dev/null
}

ensure_apt openssl openssl
ensure_apt curl curl
ensure_apt mariadbd mariadb-server

suite "cargo build (tests)" cargo test --no-run --quiet
suite "unit, API, process and floor-plan tests on SQLite" cargo test --quiet --lib --test api --test process --test process_serving --test process_metrics --test floor_plan -- --test-threads=4
suite "abuse tests (sign-in burst, slow-drip connections) on the served binary" cargo test --quiet --test abuse -- --test-threads=1

eval "$(scripts/mariadb-test-server.sh)" || { echo "MariaDB did not start"; exit 1; }
trap 'kill "$RR_TEST_MARIADB_PID" 2>/dev/null; wait "$RR_TEST_MARIADB_PID" 2>/dev/null; rm -rf "$RR_TEST_MARIADB_DIR"' EXIT
RR_TEST_BACKEND=mysql suite "API tests on MariaDB" cargo test --quiet --test api -- --test-threads=4
suite "MySQL-only tests (migrations, outage, TLS) on MariaDB" cargo test --quiet --test mysql

# moto's server stands in for AWS Secrets Manager (the rotation test drives it like the rotation Lambda would).
# A failed install or a server that never answers fails that suite (the tests refuse to run without it).
start_moto() {
  if ! python3 -c 'import moto.server' 2>/dev/null; then
    pip install -q 'moto[server]' 2>&1 | grep -v "as the 'root' user"
    python3 -c 'import moto.server' || { echo "moto did not install"; return 1; }
  fi
  moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  moto_server -H 127.0.0.1 -p "$moto_port" >/tmp/rr-moto-$$.log 2>&1 &
  moto_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$moto_port/moto-api/" >/dev/null && return 0
    kill -0 "$moto_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "moto did not answer on 127.0.0.1:$moto_port; its log:"; cat /tmp/rr-moto-$$.log
  return 1
}
moto_pid=
trap 'kill $moto_pid 2>/dev/null; kill "$RR_TEST_MARIADB_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$RR_TEST_MARIADB_DIR" /tmp/rr-moto-$$.log' EXIT
if start_moto; then
  RR_TEST_MOTO_URL="http://127.0.0.1:$moto_port" suite "Secrets Manager tests (moto + MariaDB, rotation under load)" \
    cargo test --quiet --test secrets -- --nocapture
else
  suite "Secrets Manager tests: moto did not start" false
fi
# Lead emails: three app processes on MariaDB sending through moto's SES v2 (each test starts a moto_server of
# its own, so what it counts as sent is its own), including an SES outage.
suite "lead emails across processes (moto SES + MariaDB, exactly once, SES outage)" \
  cargo test --quiet --test jobs -- --test-threads=1

ensure_apt musl-gcc musl-tools
rustup target list --installed 2>/dev/null | grep -q x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl
suite "release build (static musl binary)" cargo build --quiet --release --target x86_64-unknown-linux-musl

# cargo-deny (installed by the script when missing) against deny.toml and the RustSec snapshot, offline;
# THIRD_PARTY.md and the SBOM against Cargo.lock.
suite "dependency audit, licences, duplicates, notices, SBOM (scripts/deps-check.sh)" scripts/deps-check.sh

# A suite that lost its run bit (or its file) fails rather than disappearing from the summary.
for extra in tests/image/run.sh tests/browser/run.sh tests/deploy/run.sh tests/infra/run.sh; do
  if [ -x "$extra" ]; then
    suite "$extra" "$extra"
  else
    echo "$extra is missing or not executable (chmod +x it)"
    suite "$extra (missing or not executable)" false
  fi
done

# The image run the way the ECS task definition runs it; it starts its own MariaDB (TLS required) and moto.
suite "production rehearsal on Docker (tests/rehearsal/run.sh)" tests/rehearsal/run.sh

echo
printf '%s\n' "${summary[@]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
