#!/usr/bin/env bash
# Starts a throwaway MariaDB for the test suite on 127.0.0.1 (free port), with TLS from a fresh test CA.
# Installs mariadb-server with apt when it is missing. Prints `export` lines for the test environment:
#   RR_TEST_MYSQL_URL       admin URL (user rr_admin) used to create a fresh database per test
#   RR_TEST_MYSQL_CA        the CA that signed the server certificate
#   RR_TEST_MYSQL_WRONG_CA  an unrelated CA (must be refused)
#   RR_TEST_MARIADB_SOCKET / RR_TEST_MARIADB_DIR / RR_TEST_MARIADB_PID
# Optional settings (the Docker rehearsal, tests/rehearsal/run.sh, uses them to look like RDS from a container):
#   RR_TEST_MARIADB_BIND      address to listen on (default 127.0.0.1)
#   RR_TEST_MARIADB_PORT      port (default: a free one)
#   RR_TEST_MARIADB_HOSTNAME  an extra DNS name in the server certificate (default: localhost and 127.0.0.1 only)
#   RR_TEST_MARIADB_ARGS      extra mariadbd options, split on spaces (e.g. --require-secure-transport=ON)
# Usage: eval "$(scripts/mariadb-test-server.sh)"; stop with: kill "$RR_TEST_MARIADB_PID"
set -euo pipefail

log() { echo "mariadb-test-server: $*" >&2; }

if ! command -v mariadbd >/dev/null 2>&1; then
  log "installing mariadb-server (apt)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server) >&2
fi
command -v openssl >/dev/null || { log "openssl is required"; exit 1; }

dir=$(mktemp -d /tmp/rr-mariadb.XXXXXX)
bind=${RR_TEST_MARIADB_BIND:-127.0.0.1}
port=${RR_TEST_MARIADB_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
read -ra extra_args <<<"${RR_TEST_MARIADB_ARGS:-}"
tls="$dir/tls"; mkdir -p "$tls"

make_ca() { # name
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Ritual Roast test $1" \
    -keyout "$tls/$1.key" -out "$tls/$1.pem" 2>/dev/null
}
make_ca ca
make_ca wrong-ca
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1%s\n' "${RR_TEST_MARIADB_HOSTNAME:+,DNS:$RR_TEST_MARIADB_HOSTNAME}" > "$tls/san.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
  -extfile "$tls/san.ext" -out "$tls/server.pem" 2>/dev/null

# A private tmpdir: concurrent installs sharing /tmp were seen to fail ("Error on delete of '/tmp/#sql-temptable…'").
mkdir -p "$dir/tmp"
mariadb-install-db --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --auth-root-authentication-method=socket \
  --skip-test-db --user=root >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
mariadbd --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --socket="$dir/sock" --port="$port" --bind-address="$bind" \
  --user=root --pid-file="$dir/pid" --log-error="$dir/error.log" --max-connections=2000 \
  --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --skip-log-bin \
  --ssl-ca="$tls/ca.pem" --ssl-cert="$tls/server.pem" --ssl-key="$tls/server.key" "${extra_args[@]}" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  [ -S "$dir/sock" ] && mariadb --socket="$dir/sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { log "mariadbd exited:"; tail -20 "$dir/error.log" >&2; exit 1; }
  sleep 0.2
done
# A TCP login from 127.0.0.1 can match user@localhost as well as user@127.0.0.1: create both.
mariadb --socket="$dir/sock" -uroot <<SQL
CREATE USER 'rr_admin'@'localhost' IDENTIFIED BY 'rr-admin-test-pw';
CREATE USER 'rr_admin'@'127.0.0.1' IDENTIFIED BY 'rr-admin-test-pw';
GRANT ALL PRIVILEGES ON *.* TO 'rr_admin'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'rr_admin'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
log "MariaDB $(mariadbd --version | awk '{print $3}') on $bind:$port (data in $dir)"
cat <<ENV
export RR_TEST_MYSQL_URL='mysql://rr_admin:rr-admin-test-pw@127.0.0.1:$port/mysql'
export RR_TEST_MYSQL_CA='$tls/ca.pem'
export RR_TEST_MYSQL_WRONG_CA='$tls/wrong-ca.pem'
export RR_TEST_MARIADB_SOCKET='$dir/sock'
export RR_TEST_MARIADB_DIR='$dir'
export RR_TEST_MARIADB_PID='$pid'
ENV
