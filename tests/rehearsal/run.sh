#!/usr/bin/env bash
# Production rehearsal: the scratch image run the way the ECS task definition in infra/ritual-roast.yaml runs it,
# as far as one Docker host allows:
#   - a bridge network of its own; the app is probed on its container IP and the task's port, as the ALB probes
#     a task's network interface; only the task definition's systemControls lift the privileged-port limit (Docker
#     alone would lift it for every container, Fargate does not);
#   - only the task definition's environment (DB_SERVER as a host name, DB_DATABASE, SECRET_NAME as the secret's
#     ARN, AWS_REGION, PORT), plus the stand-ins for what AWS provides (`stand_ins` below);
#   - the database password from Secrets Manager (moto), MariaDB on 3306 requiring TLS, with a certificate for
#     that host name from a test CA trusted through database.extra_ca_file (the binary trusts the RDS CAs itself);
#   - read-only root filesystem, the image's uid 10001, no capabilities at all;
# then checks /health.html, /readyz, a stored lead, a single-user password rotation followed by new connections,
# and a clean stop on SIGTERM within the task's stopTimeout.
#
# RR_REHEARSAL_BREAK=<mode> breaks one thing on purpose, to see that the checks can fail:
#   wrong-ca          the app trusts an unrelated CA
#   wrong-name        the server certificate names another host
#   no-tls            MariaDB runs without TLS
#   no-alter-user     the rotation changes the secret but not the database
#   no-secret-update  the rotation changes the database but not the secret (what an app that reads its password
#                     once at boot lives through)
#   no-kill           the app's connections survive the rotation, so nothing new is tried
#   wrong-port        the app listens on another port than the task definition's
#   root, writable    runs as root / with a writable root filesystem
#   sigkill           the container is stopped with SIGKILL
# Installs what it needs (apt: mariadb-server, openssl, curl; pip: moto[server], which brings boto3); fails, never
# skips, when something is missing. Prints "N passed, M failed" last; exits non-zero unless everything passed.

# Checks are functions that `check` and the EXIT trap call by name, which shellcheck cannot follow.
# shellcheck disable=SC2317
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

bin=${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-musl/release/ritual-roast
template=infra/ritual-roast.yaml
break_mode=${RR_REHEARSAL_BREAK:-}
region=us-east-1
database=ritualroast
app_user=rr_app
db_host=db.internal    # what DB_SERVER holds: a host name, as the RDS endpoint address is
aws_host=aws.internal  # AWS_ENDPOINT_URL's host: moto on the Docker host
ca_in_container=/run/rr-rehearsal/db-ca.pem
run_id=rr-rehearsal-$$
passed=0 failed=0

check() { # description, command... — runs the command; its exit status is the verdict
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "  ok    $what"; else failed=$((failed + 1)); echo "  FAIL  $what"; fi
}
finish() { echo; echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; exit $?; }
fatal() { echo "rehearsal: $*" >&2; failed=$((failed + 1)); finish; }
step() { echo "-- $*"; }

# --- prerequisites: installed here, since CI starts from a fresh machine; missing ones fail the suite -------------

ensure_apt() { # command, package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 (apt)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") >/dev/null 2>&1
  command -v "$1" >/dev/null 2>&1
}

prerequisites() {
  docker info >/dev/null 2>&1 || fatal "a running Docker engine is required (docker info failed)"
  local need
  for need in "mariadbd mariadb-server" "openssl openssl" "curl curl"; do
    # shellcheck disable=SC2086 # two words on purpose: command and package
    ensure_apt $need || fatal "could not install ${need#* }"
  done
  if ! python3 -c 'import moto.server, boto3' 2>/dev/null; then
    echo "installing moto[server] (pip)"
    pip install -q 'moto[server]' >/dev/null 2>&1
    python3 -c 'import moto.server, boto3' 2>/dev/null || fatal "could not install moto[server] with pip"
  fi
  if [ ! -x "$bin" ]; then
    echo "building the release binary ($bin)"
    cargo build --quiet --release --target x86_64-unknown-linux-musl || fatal "the release build failed"
  fi
  [ -f "$template" ] || fatal "$template is missing"
}

# --- what the task definition says ------------------------------------------------------------------------------

# The Environment names of the task definition's container, one per line, sorted. Reads the list under
# "Environment:" up to the next key at the same or a lower indentation.
template_env_names() {
  awk '/^  TaskDefinition:/ { task = 1 }
       task && /^ *Environment:/ { match($0, /^ */); indent = RLENGTH; inside = 1; next }
       inside { match($0, /^ */); if (RLENGTH <= indent && $0 !~ /^ *-/) exit; print }' "$template" |
    grep -o 'Name: [A-Z_][A-Z0-9_]*' | awk '{ print $2 }' | sort
}
template_param_default() { # parameter name
  awk -v p="  $1:" '$0 == p { inside = 1; next } inside && /^  [A-Za-z]/ { exit }
                     inside && /Default:/ { print $2; exit }' "$template"
}
# The pool size the template gives each task at its defaults (Mappings ConnectionBudget, default class and MaxTasks).
template_default_pool_size() {
  python3 - "$template" "$(template_param_default DBInstanceClass)" "$(template_param_default MaxTasks)" <<'PY'
import re, sys
text, cls, tasks = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
row = re.search(r"^    " + re.escape(cls) + r":\s*\{([^}]*)\}", text, re.M | re.S)
print(re.search(r'"' + tasks + r'":\s*"(\d+)"', row.group(1)).group(1))
PY
}
template_stop_timeout() { grep -m1 -o 'StopTimeout: *[0-9]*' "$template" | grep -o '[0-9]*$'; }
# The container's systemControls as name=value lines, e.g. net.ipv4.ip_unprivileged_port_start=0.
template_sysctls() {
  grep -o 'Namespace: *[a-z0-9_.]*, *Value: *"[^"]*"' "$template" |
    sed -E 's/Namespace: *([^,]*), *Value: *"([^"]*)"/\1=\2/'
}

# --- the Docker host side: network, MariaDB, moto, image ---------------------------------------------------------

cleanup() {
  docker rm -f "$run_id" >/dev/null 2>&1
  docker rmi -f "$run_id:image" >/dev/null 2>&1
  docker network rm "$run_id" >/dev/null 2>&1
  [ -n "${moto_pid:-}" ] && kill "$moto_pid" 2>/dev/null
  [ -n "${RR_TEST_MARIADB_PID:-}" ] && kill "$RR_TEST_MARIADB_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "${RR_TEST_MARIADB_DIR:-}" "${work:-}"
}

start_network() { # sets gateway: the host's address on the new bridge, where MariaDB and moto listen
  docker network create --driver bridge "$run_id" >/dev/null || fatal "could not create a Docker network"
  gateway=$(docker network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$run_id")
  [ -n "$gateway" ] || fatal "the Docker network has no gateway address"
}

start_mariadb() { # sets the RR_TEST_MARIADB_* and RR_TEST_MYSQL_* variables
  local args="--require-secure-transport=ON" name=$db_host # like RDS with require_secure_transport=1
  [ "$break_mode" = no-tls ] && args="--skip-ssl"
  [ "$break_mode" = wrong-name ] && name=other.internal
  local exports # captured first: `eval "$(…)"` would hide the script's failure behind eval's own success
  exports=$(RR_TEST_MARIADB_BIND=$gateway RR_TEST_MARIADB_PORT=3306 RR_TEST_MARIADB_HOSTNAME=$name \
    RR_TEST_MARIADB_ARGS=$args scripts/mariadb-test-server.sh) || fatal "MariaDB did not start on $gateway:3306"
  eval "$exports"
  # Like an RDS master user: any client host, all rights on the application's database.
  sql "CREATE DATABASE $database CHARACTER SET utf8mb4;
       CREATE USER '$app_user'@'%' IDENTIFIED BY '$first_password';
       GRANT ALL ON $database.* TO '$app_user'@'%';" || fatal "could not create the application's database"
}

sql() { mariadb --socket="$RR_TEST_MARIADB_SOCKET" -uroot -N -B -e "$1"; }

start_moto() { # sets moto_pid, moto_port
  moto_port=$(python3 -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$gateway")
  # As a module, not the moto_server script: a fresh pip install may not have put the script on PATH yet.
  python3 -m moto.server -H "$gateway" -p "$moto_port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  local _
  for _ in $(seq 1 100); do
    curl -sf "http://$gateway:$moto_port/moto-api/" >/dev/null && return 0
    kill -0 "$moto_pid" 2>/dev/null || break
    sleep 0.2
  done
  cat "$work/moto.log"; fatal "moto did not answer on $gateway:$moto_port"
}

secret() { # secret.py arguments... — moto's Secrets Manager, driven like RDS and its rotation function
  AWS_ENDPOINT_URL="http://$gateway:$moto_port" AWS_REGION=$region python3 tests/rehearsal/secret.py "$@"
}

build_image() { # the image exactly as deploy.sh builds it: a one-file context, nothing pulled
  mkdir -p "$work/context"
  cp "$bin" "$work/context/ritual-roast"
  cp Dockerfile.scratch "$work/context/Dockerfile"
  local out # the legacy builder's deprecation notice is noise; the output matters only on failure
  out=$(docker build -q --build-arg BINARY=ritual-roast -t "$run_id:image" "$work/context" 2>&1) ||
    { echo "$out"; fatal "Dockerfile.scratch did not build"; }
}

# --- the task ----------------------------------------------------------------------------------------------------

run_task() {
  local ca=$RR_TEST_MYSQL_CA port=$task_port
  local -a flags=(--read-only --cap-drop ALL)
  # Docker lets any user bind any port in a container (ip_unprivileged_port_start=0); Fargate keeps the kernel's
  # 1024 unless the task definition's systemControls say otherwise. Apply the task definition's, else 1024.
  local sysctl sysctls
  sysctls=$(template_sysctls)
  grep -q '^net.ipv4.ip_unprivileged_port_start=' <<<"$sysctls" ||
    sysctls+=$'\n'net.ipv4.ip_unprivileged_port_start=1024
  for sysctl in $sysctls; do flags+=(--sysctl "$sysctl"); done
  case $break_mode in
    wrong-ca) ca=$RR_TEST_MYSQL_WRONG_CA ;;
    wrong-port) port=$((task_port + 1)) ;;
    root) flags+=(--user 0:0) ;;
    writable) flags=("${flags[@]:1}") ;; # drops --read-only
    sigkill) flags+=(--stop-signal SIGKILL) ;;
  esac
  task_env=("DB_SERVER=$db_host" "DB_DATABASE=$database" "SECRET_NAME=$secret_arn" "AWS_REGION=$region" "PORT=$port"
    "RR_SERVER__TRUSTED_PROXIES=$(template_param_default VpcCidr)"
    "RR_DATABASE__POOL_SIZE=$(template_default_pool_size)"
    "RR_METRICS__NAMESPACE=$(template_param_default MetricsNamespace)"
    "RR_NOTIFICATIONS__FROM=$(template_param_default NotificationSender | tr -d '"')"
    "RR_SITE__PUBLIC_URL=$(template_param_default SitePublicUrl | tr -d '"')")
  # What AWS provides and this host does not: the Secrets Manager endpoint (moto), credentials (the task role
  # on ECS) and trust in the database's CA (the RDS CAs are embedded in the binary; the test CA is not).
  stand_ins=("AWS_ENDPOINT_URL=http://$aws_host:$moto_port" AWS_ACCESS_KEY_ID=rehearsal
    AWS_SECRET_ACCESS_KEY=rehearsal "RR_DATABASE__EXTRA_CA_FILE=$ca_in_container")
  local -a env_flags=()
  local kv
  for kv in "${task_env[@]}" "${stand_ins[@]}"; do env_flags+=(-e "$kv"); done
  started_ns=$(date +%s%N)
  docker run -d --name "$run_id" --network "$run_id" "${flags[@]}" \
    --add-host "$db_host:$gateway" --add-host "$aws_host:$gateway" \
    --mount "type=bind,source=$ca,target=$ca_in_container,readonly" \
    "${env_flags[@]}" "$run_id:image" >/dev/null || fatal "docker run failed"
  task_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$run_id\").IPAddress}}" "$run_id")
  app="http://$task_ip:$task_port"
}

running() { [ "$(docker inspect -f '{{.State.Running}}' "$run_id" 2>/dev/null)" = true ]; }

wait_ready() { # up to 60 s, or until the container exits: boot fetches the secret, connects, migrates, binds
  local _
  for _ in $(seq 1 300); do
    [ "$(status /readyz)" = 200 ] && return 0
    running || return 1
    sleep 0.2
  done
  return 1
}

status() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$app$1"; }
answers() { [ "$(status "$1")" = "$2" ]; } # path, expected status

# --- checks ------------------------------------------------------------------------------------------------------

same_env_names_as_template() {
  local ours theirs
  ours=$(printf '%s\n' "${task_env[@]%%=*}" | sort)
  theirs=$(template_env_names)
  [ -n "$theirs" ] && [ "$ours" = "$theirs" ] && return 0
  echo "    template: $(tr '\n' ' ' <<<"$theirs")"
  echo "    here:     $(tr '\n' ' ' <<<"$ours")"
  return 1
}

image_declares_task_port() {
  local exposed env_port
  exposed=$(docker image inspect -f '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}' "$run_id:image")
  env_port=$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$run_id:image" | sed -n 's/^PORT=//p')
  echo "    task definition port $task_port; image EXPOSE ${exposed:-none}, ENV PORT=${env_port:-unset}"
  [ "$exposed" = "$task_port/tcp " ] && [ "$env_port" = "$task_port" ]
}

runs_as() { # uid — every process of the container runs as uid
  local uids
  uids=$(docker top "$run_id" -o pid,uid,args 2>/dev/null | awk 'NR > 1 { print $2 }' | sort -u)
  [ "$uids" = "$1" ]
}

root_filesystem_read_only() { [ "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$run_id")" = true ]; }

server_requires_tls() { # the setting is on, and a plaintext login is refused while a TLS one gets in
  [ "$(sql 'SELECT @@require_secure_transport')" = 1 ] &&
    ! login "$first_password" --skip-ssl 2>/dev/null && login "$first_password" --ssl
}

login() { # password, mariadb TLS option — a TCP login as the app's user, from the host
  mariadb -h "$gateway" -P 3306 -u "$app_user" -p"$1" "$2" -N -e 'SELECT 1' >/dev/null
}

readyz_reports_schema() { grep -q '"backend":"mysql".*"up_to_date":true' <<<"$(curl -s -m 5 "$app/readyz")"; }

post_lead() { # email — prints the id the app acknowledged
  curl -s -m 10 -H 'Accept: application/json' --data "name=Rehearsal&email=${1/@/%40}&interest=beans" "$app/leads" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' 2>/dev/null
}

lead_stored() { # id, email
  [[ $1 =~ ^[0-9]+$ ]] && [ "$(sql "SELECT COUNT(*) FROM $database.leads WHERE id = $1 AND email = '$2'")" = 1 ]
}

app_connection_ids() { sql "SELECT id FROM information_schema.PROCESSLIST WHERE user = '$app_user' ORDER BY id"; }

rotate_password() { # new password — single-user rotation, step by step as the RDS rotation function does it
  local version
  if [ "$break_mode" != no-secret-update ]; then
    version=$(secret pending "$secret_arn" "$app_user" "$1") || return 1                   # createSecret
  fi
  [ "$break_mode" = no-alter-user ] || sql "ALTER USER '$app_user'@'%' IDENTIFIED BY '$1'" # setSecret
  [ "$break_mode" = no-secret-update ] || secret promote "$secret_arn" "$version"          # finishSecret
}

kill_connections() { # ids... — forces the app to open new connections, which must use the new password
  [ "$break_mode" = no-kill ] && return 0
  local id
  for id in "$@"; do sql "KILL CONNECTION $id" 2>/dev/null; done
}

only_new_connections() { # killed ids... — the app holds connections now, none of them a killed one
  local now id
  now=$(app_connection_ids)
  [ -n "$now" ] || return 1
  for id in "$@"; do grep -qx "$id" <<<"$now" && return 1; done
  return 0
}

rotation_took_effect() { ! login "$first_password" --ssl 2>/dev/null && login "$second_password" --ssl; }

# The log is read whole before grep: with pipefail, `docker logs | grep -q` fails (SIGPIPE) on a long log when grep
# stops at an early match, which would turn "found" into "not found" and a leaked password into a pass.
task_log() { docker logs "$run_id" 2>&1; }
log_has() { grep -q "$1" <<<"$(task_log)"; }
no_password_in_log() {
  local log
  log=$(task_log) && [ -n "$log" ] && ! grep -q -e "$first_password" -e "$second_password" <<<"$log"
}

stop_task() { # like ECS: SIGTERM (the image's STOPSIGNAL), SIGKILL after stopTimeout; sets stop_ms
  local t0
  t0=$(date +%s%N)
  docker stop -t "$stop_timeout" "$run_id" >/dev/null
  stop_ms=$((($(date +%s%N) - t0) / 1000000))
}

stopped_cleanly_in_time() {
  echo "    stopped in $stop_ms ms (stopTimeout ${stop_timeout} s), exit code $(docker inspect -f '{{.State.ExitCode}}' "$run_id")"
  [ "$(docker inspect -f '{{.State.ExitCode}}' "$run_id")" = 0 ] && [ "$stop_ms" -lt $((stop_timeout * 1000)) ]
}

# --- the rehearsal -----------------------------------------------------------------------------------------------

main() {
  # scripts/test.sh exports its own MariaDB's variables; this run starts (and its cleanup stops) its own server,
  # so those must not leak in, or an early failure would make cleanup kill test.sh's server.
  unset RR_TEST_MARIADB_PID RR_TEST_MARIADB_DIR RR_TEST_MARIADB_SOCKET RR_TEST_MYSQL_URL RR_TEST_MYSQL_CA \
    RR_TEST_MYSQL_WRONG_CA
  case $break_mode in
    "") ;;
    wrong-ca | wrong-name | no-tls | no-alter-user | no-secret-update | no-kill | wrong-port | root | writable | sigkill)
      echo "BROKEN ON PURPOSE: RR_REHEARSAL_BREAK=$break_mode (checks are expected to fail)" ;;
    *) fatal "unknown RR_REHEARSAL_BREAK=$break_mode (the modes are listed at the top of $0)" ;;
  esac
  prerequisites
  work=$(mktemp -d /tmp/rr-rehearsal.XXXXXX)
  trap cleanup EXIT
  first_password="first-$(openssl rand -hex 12)"
  second_password="rotated-$(openssl rand -hex 12)"
  task_port=$(template_param_default ContainerPort)
  stop_timeout=$(template_stop_timeout)
  if [ -z "$task_port" ] || [ -z "$stop_timeout" ]; then fatal "could not read ContainerPort/StopTimeout from $template"; fi

  step "Docker host: network, MariaDB (TLS required) and moto on the bridge gateway"
  start_network
  start_mariadb
  start_moto
  secret_arn=$(secret create "ritual-roast/rehearsal-$$" "$app_user" "$first_password") || fatal "could not create the secret in moto"
  build_image
  run_task
  echo "   task $task_ip:$task_port, $db_host and $aws_host = $gateway, secret $secret_arn"
  check "the task gets exactly the task definition's environment names (plus the AWS stand-ins)" same_env_names_as_template
  check "the image declares the task definition's port (EXPOSE and ENV PORT)" image_declares_task_port
  check "MariaDB refuses plaintext logins and accepts TLS ones" server_requires_tls

  step "boot: secret → TLS connection by host name → migrations → listening on the task port"
  if wait_ready; then
    echo "   ready $((($(date +%s%N) - started_ns) / 1000000)) ms after docker run"
  else
    echo "   not ready; the task's log:"; task_log | tail -15 | sed 's/^/   | /'
  fi
  check "the task is running as uid 10001 with a read-only root filesystem" \
    eval 'running && runs_as 10001 && root_filesystem_read_only'
  check "/health.html answers 200 on the task's address and port (the ALB's health check)" answers /health.html 200
  check "/readyz answers 200: MySQL reached, schema up to date" eval 'answers /readyz 200 && readyz_reports_schema'
  local lead
  lead=$(post_lead first@rehearsal.example)
  check "a lead posted to the task is stored in MariaDB (id ${lead:-none})" lead_stored "$lead" first@rehearsal.example

  step "rotation: new password in the secret and the database, the app's connections killed"
  local -a before
  mapfile -t before < <(app_connection_ids)
  check "the app holds pooled connections before the rotation (${#before[@]})" test "${#before[@]}" -gt 0
  rotate_password "$second_password" || echo "   a rotation step failed (the checks below will say what broke)"
  check "MariaDB now refuses the old password and accepts the new one" rotation_took_effect
  kill_connections "${before[@]}"
  check "/readyz answers 200 through a new connection" answers /readyz 200
  lead=$(post_lead second@rehearsal.example)
  check "a lead posted after the rotation is stored (id ${lead:-none})" lead_stored "$lead" second@rehearsal.example
  check "the app's connections are all new ones" only_new_connections "${before[@]}"
  check "the log shows MariaDB refusing the cached password (so the recovery above went through the secret)" \
    log_has "refused the cached credentials"

  step "stop: SIGTERM, as ECS sends it"
  check "the task is still running before the stop" running
  stop_task
  check "SIGTERM stops the task with exit code 0 within stopTimeout" stopped_cleanly_in_time
  check "the log says it stopped cleanly" log_has "stopped cleanly"
  check "no password reaches the log" no_password_in_log
  [ "$failed" -eq 0 ] || { echo "   the task's log (last 15 lines):"; task_log | tail -15 | sed 's/^/   | /'; }
  finish
}

main "$@"
