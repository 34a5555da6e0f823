#!/usr/bin/env bash
# End-to-end test of deploy.sh, fully offline:
#   - a moto server (ECR, ECS, EC2, STS, SSM, CloudWatch Logs, Application Auto Scaling) on a free loopback port,
#     with MOTO_ECS_SERVICE_RUNNING=2, started through tests/deploy/moto_ecs.py, which adds what moto lacks:
#     ECS deployments (ids, rollouts that complete, hang or fail, the circuit breaker's own rollback, stale reads,
#     stopped tasks with their reasons and logs, one-off migration tasks), driven per service by the scenario
#     file $RR_SHIM_SCENARIOS (see that file's docstring);
#   - Debian's docker-registry (our own config: filesystem storage in a temp dir, no auth) as the registry,
#     reached through deploy.sh's RR_REGISTRY_HOST override (moto's ECR hands out the real AWS registry host);
#   - the local Docker engine builds the FROM scratch image (no image is pulled).
# The binary: $RR_TEST_DEPLOY_BINARY if set, else the real release binary
# (target/x86_64-unknown-linux-musl/release/ritual-roast) when it exists, else busybox-static as a stand-in.
# Installs what it lacks (apt: docker-registry busybox-static curl; pip: moto[server] awscli).
# RR_TEST_KEEP=1 keeps the temp dir (deploy.sh, moto and registry logs).
# Prints "N passed, M failed" last; exits non-zero when anything failed. Takes about 2 minutes.
# Checks are eval strings evaluated later, and helpers run from traps: hence these shellcheck exclusions.
# shellcheck disable=SC2016,SC2034,SC2119,SC2120,SC2317
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEPLOY=$ROOT/deploy.sh
REAL_BINARY=$ROOT/target/x86_64-unknown-linux-musl/release/ritual-roast

passed=0 failed=0
pass() { passed=$((passed + 1)); printf '  ok    %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf '  FAIL  %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/        /'; }
check() { # description, command... (passes when the command succeeds)
  local desc=$1; shift
  if "$@"; then pass "$desc"; else fail "$desc"; fi
}
section() { printf '\n== %s\n' "$*"; section_failed=$failed; }
section_failed=0
dump() { # logs... : shows deploy.sh's output when a check of this section failed
  [ "$failed" -gt "$section_failed" ] || return 0
  local f; for f in "$@"; do echo "        --- ${f##*/}"; sed 's/^/        | /' "$f"; done
}
finish() {
  echo
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
abort() { fail "setup: $*"; finish; }

# ------------------------------------------------------------------------------------------- prerequisites
section "prerequisites"
apt_updated=0
apt_install() { # package...
  [ "$apt_updated" = 1 ] || { apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}
need_apt() { # binary package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "  installing $2 (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 || apt_install "$2"
  command -v "$1" >/dev/null 2>&1
}
need_apt curl curl || abort "curl is missing and could not be installed"
need_apt docker-registry docker-registry || abort "docker-registry is missing and could not be installed"
need_apt busybox busybox-static || abort "busybox (busybox-static) is missing and could not be installed"
if ! command -v moto_server >/dev/null 2>&1 || ! command -v aws >/dev/null 2>&1; then
  echo "  installing moto[server] and awscli (pip)"
  python3 -m pip install -q 'moto[server]' awscli >/dev/null 2>&1 || abort "pip install 'moto[server]' awscli failed"
  hash -r
fi
case $(aws --version 2>&1) in
  aws-cli/1.*) ;;
  *) abort "'aws' is not AWS CLI v1 ($(aws --version 2>&1)); v1 from pip honours AWS_ENDPOINT_URL: pip install awscli" ;;
esac
docker info >/dev/null 2>&1 || abort "the Docker engine is not reachable (docker info failed)"
BUSYBOX=$(command -v busybox)

BINARY=${RR_TEST_DEPLOY_BINARY:-}
if [ -z "$BINARY" ]; then
  if [ -x "$REAL_BINARY" ]; then BINARY=$REAL_BINARY; else BINARY=$BUSYBOX; fi
fi
[ -f "$BINARY" ] || abort "binary $BINARY does not exist"
echo "  binary under test: $BINARY$([ "$BINARY" = "$BUSYBOX" ] && echo ' (busybox-static stand-in)')"

# ------------------------------------------------------------------------------------------- environment
TMP=$(mktemp -d /tmp/rr-deploy-test.XXXXXX)
MOTO_PID='' REGISTRY_PID='' PORT_CONTAINER=''
RUN_ID=$(date +%s)$$
REPO=rr-e2e-$RUN_ID                     # unique, so local image names cannot collide with anything else
cleanup() {
  [ -z "$PORT_CONTAINER" ] || docker rm -f "$PORT_CONTAINER" >/dev/null 2>&1
  [ -z "$MOTO_PID" ] || kill "$MOTO_PID" 2>/dev/null
  [ -z "$REGISTRY_PID" ] || kill "$REGISTRY_PID" 2>/dev/null
  wait 2>/dev/null
  # By image ID: a re-pushed tag leaves the older image tagged <none> under the same repository.
  docker images --format '{{.ID}} {{.Repository}}' 2>/dev/null \
    | awk -v a="$REPO" -v b="rr-e2e-ctx-$RUN_ID" '{ n = $2; sub(/.*\//, "", n); if (n == a || n == b) print $1 }' \
    | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
  if [ -n "${RR_TEST_KEEP:-}" ]; then echo "kept $TMP (RR_TEST_KEEP)"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MOTO_PORT=$(free_port)
REG_PORT=$(free_port)
while [ "$REG_PORT" = "$MOTO_PORT" ]; do REG_PORT=$(free_port); done
REGISTRY=127.0.0.1:$REG_PORT

# Only loopback endpoints and throwaway credentials: nothing here can reach real AWS.
export AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=2
export AWS_CONFIG_FILE=$TMP/aws-config AWS_SHARED_CREDENTIALS_FILE=$TMP/aws-credentials
unset AWS_PROFILE AWS_DEFAULT_PROFILE
export DOCKER_CONFIG=$TMP/docker-config  # docker login writes here, not to ~/.docker
mkdir -p "$DOCKER_CONFIG"
export RR_REGISTRY_HOST=$REGISTRY RR_ECR_REPOSITORY=$REPO RR_POLL_INTERVAL=1
unset RR_CLUSTER RR_SERVICE RR_CONTAINER RR_TIMEOUT RR_ROLLBACK_TIMEOUT RR_BINARY RR_ECR_KEEP_IMAGES RR_BOOTSTRAP_SCRIPT

export RR_SHIM_SCENARIOS=$TMP/scenarios.json
echo '{}' >"$RR_SHIM_SCENARIOS"
MOTO_ECS_SERVICE_RUNNING=2 python3 "$ROOT/tests/deploy/moto_ecs.py" 127.0.0.1 "$MOTO_PORT" >"$TMP/moto.log" 2>&1 &
MOTO_PID=$!
mkdir -p "$TMP/registry"
cat >"$TMP/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $TMP/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY
EOF
docker-registry serve "$TMP/registry.yml" >"$TMP/registry.log" 2>&1 &
REGISTRY_PID=$!
up=0
for _ in $(seq 1 150); do
  if curl -fs -o /dev/null "http://$REGISTRY/v2/" && curl -s -o /dev/null "$AWS_ENDPOINT_URL/moto-api/"; then up=1; break; fi
  sleep 0.2
done
[ "$up" = 1 ] || abort "moto ($MOTO_PORT) or docker-registry ($REG_PORT) did not start: $(tail -5 "$TMP/moto.log" "$TMP/registry.log")"
echo "  moto on $AWS_ENDPOINT_URL, registry on http://$REGISTRY, ECR repository $REPO"

awsj() { aws --output json "$@"; }
# scenario SERVICE JSON: what moto_ecs.py makes the service's next deployments do (replaces the old scenario).
scenario() {
  python3 - "$RR_SHIM_SCENARIOS" "$1" "$2" <<'PY'
import json, sys
path, name, sc = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
d = json.load(open(path)); d[name] = sc; json.dump(d, open(path, "w"))
PY
}
awst() { aws --output text "$@"; }
# Reads a value from a JSON file: jq_py FILE 'python expression over d'
jq_py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# ------------------------------------------------------------------------------------------- moto fixtures
section "fixtures: VPC, cluster, task definition, service (moto)"
VPC=$(awst ec2 create-vpc --cidr-block 10.42.0.0/16 --query Vpc.VpcId) || abort "create-vpc"
SUBNET=$(awst ec2 create-subnet --vpc-id "$VPC" --cidr-block 10.42.1.0/24 --query Subnet.SubnetId) || abort "create-subnet"
SG=$(awst ec2 create-security-group --group-name rr-app --description "app tasks" --vpc-id "$VPC" --query GroupId) \
  || abort "create-security-group"
NETCONF="awsvpcConfiguration={subnets=[$SUBNET],securityGroups=[$SG],assignPublicIp=DISABLED}"
awsj ecs create-cluster --cluster-name ritual-roast >/dev/null || abort "create-cluster"
# Shaped like the template's task definition (container port 8080, no sysctl), plus a sidecar and tags:
# everything but the image must survive. The log group exists, so deploy.sh can show stopped tasks' logs.
awsj logs create-log-group --log-group-name /ecs/ritual-roast >/dev/null || abort "create-log-group"
cat >"$TMP/td1.json" <<'EOF'
{
  "family": "ritual-roast",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
  "taskRoleArn": "arn:aws:iam::123456789012:role/ritual-roast-task",
  "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
  "containerDefinitions": [
    {
      "name": "ritual-roast",
      "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/ritual-roast:initial",
      "essential": true,
      "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
      "readonlyRootFilesystem": true,
      "user": "10001:10001",
      "stopTimeout": 30,
      "environment": [
        {"name": "DB_SERVER", "value": "db.internal"},
        {"name": "DB_DATABASE", "value": "ritualroast"},
        {"name": "SECRET_NAME", "value": "ritual-roast/db"},
        {"name": "AWS_REGION", "value": "us-east-1"},
        {"name": "PORT", "value": "8080"}
      ],
      "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/ritual-roast",
        "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app"}}
    },
    {"name": "log-router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable", "essential": false}
  ],
  "tags": [{"key": "app", "value": "ritual-roast"}]
}
EOF
TD1=$(awst ecs register-task-definition --cli-input-json "file://$TMP/td1.json" --query taskDefinition.taskDefinitionArn) \
  || abort "register-task-definition"
create_service() { # name desired-count task-definition [circuit-breaker rollback: true|false] [alarms={...}]
  awsj ecs create-service --cluster ritual-roast --service-name "$1" --desired-count "$2" --task-definition "$3" \
    --launch-type FARGATE --network-configuration "$NETCONF" \
    --deployment-configuration "maximumPercent=200,minimumHealthyPercent=100,deploymentCircuitBreaker={enable=true,rollback=${4:-true}}${5:+,$5}" \
    >/dev/null
}
create_service ritual-roast 2 "$TD1" || abort "create-service"
echo "  cluster ritual-roast, service ritual-roast (desired 2) on ${TD1##*/}"

service_td() { awst ecs describe-services --cluster ritual-roast --services "${1:-ritual-roast}" --query 'services[0].taskDefinition'; }
td_count() { awst ecs list-task-definitions --family-prefix ritual-roast --query 'length(taskDefinitionArns)'; }
td_image() { awst ecs describe-task-definition --task-definition "$1" \
  --query "taskDefinition.containerDefinitions[?name=='ritual-roast'].image | [0]"; }
registry_digest() { # tag -> Docker-Content-Digest of the manifest, straight from the registry API
  curl -fsI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/$REPO/manifests/$1" \
    | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
pushed_tag() { sed -n 's/.*(tag \([^)]*\)).*/\1/p' "$1" | tail -1; }
variant() { # n -> a copy of the binary with n marker bytes appended (still runs; a different image digest)
  local f=$TMP/bin-v$1
  if [ ! -f "$f" ]; then cp "$BINARY" "$f"; [ "$1" = 1 ] || printf 'rr-e2e-variant-%s' "$1" >>"$f"; chmod 0755 "$f"; fi
  echo "$f"
}
deploy() { # logfile, args... -> exit status of deploy.sh (output in logfile)
  local log=$1; shift
  "$DEPLOY" "$@" </dev/null >"$log" 2>&1
}
has() { grep -qF -- "$2" "$1"; }
lock_gone() { # SSM lock parameter NAME does not exist (moto answers, and says ParameterNotFound)
  local out; out=$(aws ssm get-parameter --name "$1" 2>&1); [[ "$out" == *ParameterNotFound* ]]
}

# ------------------------------------------------------------------------------------------- usage, preflight
section "help, usage errors, preflight"
deploy "$TMP/help.log" --help; rc=$?
check "--help exits 0 and documents flags, env and defaults" \
  eval '[ $rc = 0 ] && has "$TMP/help.log" --dry-run && has "$TMP/help.log" RR_REGISTRY_HOST && has "$TMP/help.log" "RR_CLUSTER"'
# Every exit code deploy.sh uses is listed in --help, one per line ("  N  meaning"); each is provoked below.
EXIT_CODES="0 1 2 3 4 5 6 7 130"
undocumented=''
for code in $EXIT_CODES; do grep -qE "^  $code +[a-z]" "$TMP/help.log" || undocumented+=" $code"; done
check "--help documents every exit code ($EXIT_CODES)${undocumented:+ (missing:$undocumented)}" eval '[ -z "$undocumented" ]'
seen_codes=" "
saw() { seen_codes+="$1 "; }   # an exit code this run provoked and checked
deploy "$TMP/usage.log" --timeout soon; rc=$?
check "a bad --timeout is a usage error (exit 2)" eval '[ $rc = 2 ] && has "$TMP/usage.log" "--timeout must be a whole number"'
[ $rc != 2 ] || saw 2

mkdir -p "$TMP/noaws-bin"
IFS=: read -r -a path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
  for f in "$d"/*; do
    b=${f##*/}
    [ "$b" = aws ] || [ -e "$TMP/noaws-bin/$b" ] || { [ -x "$f" ] && ln -s "$f" "$TMP/noaws-bin/$b" 2>/dev/null; }
  done
done
PATH=$TMP/noaws-bin deploy "$TMP/noaws.log" --binary "$(variant 1)"; rc=$?
check "preflight: missing aws CLI -> exit 1 with a clear message" \
  eval '[ $rc = 1 ] && has "$TMP/noaws.log" "required tools are missing" && has "$TMP/noaws.log" "aws (AWS CLI"'
[ $rc != 1 ] || saw 1
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
  "$DEPLOY" --binary "$(variant 1)" </dev/null >"$TMP/nocreds.log" 2>&1; rc=$?
check "preflight: no AWS credentials -> exit 1, 'credentials are missing or invalid'" \
  eval '[ $rc = 1 ] && has "$TMP/nocreds.log" "AWS credentials are missing or invalid"'
DOCKER_HOST=unix://$TMP/no-docker.sock deploy "$TMP/nodocker.log" --binary "$(variant 1)"; rc=$?
check "preflight: Docker daemon unreachable -> exit 1 with a clear message" \
  eval '[ $rc = 1 ] && has "$TMP/nodocker.log" "Docker daemon is not reachable"'
RR_BOOTSTRAP_SCRIPT=$TMP/missing/bootstrap.sh deploy "$TMP/noboot.log" --bootstrap --binary "$(variant 1)"; rc=$?
check "--bootstrap without the bootstrap script -> exit 1, says it does not exist" \
  eval '[ $rc = 1 ] && has "$TMP/noboot.log" "bootstrap.sh does not exist"'
deploy "$TMP/nosvc.log" --service no-such-service --binary "$(variant 1)"; rc=$?
check "a missing service stops the deploy before anything is built or pushed (exit 1)" \
  eval '[ $rc = 1 ] && has "$TMP/nosvc.log" "service no-such-service not found" && ! has "$TMP/nosvc.log" "docker build"'
dump "$TMP"/{noaws,nocreds,nodocker,noboot,nosvc}.log

section "a task definition that maps a privileged port is refused"
# The seed's old shape: container port 80 with the sysctl that lets uid 10001 bind it. Fargate is not known to
# honour that sysctl, so deploy.sh refuses it (another family, so ritual-roast's revision numbers stay as they are).
python3 - "$TMP/td1.json" "$TMP/td-port80.json" <<'PY'
import json, sys
td = json.load(open(sys.argv[1]))
td["family"] = "rr-port80"
c = td["containerDefinitions"][0]
c["portMappings"] = [{"containerPort": 80, "protocol": "tcp"}]
c["systemControls"] = [{"namespace": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]
c["environment"] = [e for e in c["environment"] if e["name"] != "PORT"] + [{"name": "PORT", "value": "80"}]
json.dump(td, open(sys.argv[2], "w"))
PY
TD80=$(awst ecs register-task-definition --cli-input-json "file://$TMP/td-port80.json" --query taskDefinition.taskDefinitionArn) \
  || abort "register-task-definition rr-port80"
create_service port80 2 "$TD80" || abort "create-service port80"
deploy "$TMP/port80.log" --service port80 --binary "$(variant 1)"; rc=$?
check "a task definition mapping port 80 (with the sysctl) is refused before building: exit 1, says why" \
  eval '[ $rc = 1 ] && has "$TMP/port80.log" "maps port 80" && has "$TMP/port80.log" "ip_unprivileged_port_start" && ! has "$TMP/port80.log" "+ docker build" && [ "$(service_td port80)" = "$TD80" ]'
dump "$TMP/port80.log"

section "binaries deploy.sh refuses, --skip-build"
# /bin/true is a dynamically linked ELF (positive control first: it is an ELF with an interpreter).
DYN=$(type -P true)
check "(control) $DYN is a dynamically linked ELF" eval 'head -c 4 "$DYN" | grep -q ELF && grep -q "ld-linux" "$DYN"'
deploy "$TMP/dynamic.log" --binary "$DYN"; rc=$?
check "a dynamically linked binary is refused before anything is built or pushed (exit 1)" \
  eval '[ $rc = 1 ] && has "$TMP/dynamic.log" "dynamically linked" && ! has "$TMP/dynamic.log" "+ docker build"'
# The stand-in with its ELF machine patched to aarch64 (183): what an Apple-silicon build would produce.
ARM=$TMP/bin-arm64
cp "$(variant 1)" "$ARM"
printf '\xb7\x00' | dd of="$ARM" bs=1 seek=18 conv=notrunc 2>/dev/null
deploy "$TMP/arm.log" --binary "$ARM"; rc=$?
check "an aarch64 binary is refused: the task definition runs X86_64 (exit 1, nothing built or pushed)" \
  eval '[ $rc = 1 ] && has "$TMP/arm.log" "aarch64" && has "$TMP/arm.log" "X86_64" && ! has "$TMP/arm.log" "+ docker build"'
# --skip-build takes target/x86_64-unknown-linux-musl/release/ritual-roast next to deploy.sh: a copy of the tree's
# deploy.sh and Dockerfile.scratch in a temp dir, with and without that binary.
SKIPTREE=$TMP/skiptree
mkdir -p "$SKIPTREE"
cp "$DEPLOY" "$ROOT/Dockerfile.scratch" "$SKIPTREE/"
"$SKIPTREE/deploy.sh" --skip-build --dry-run </dev/null >"$TMP/skip-missing.log" 2>&1; rc=$?
check "--skip-build without a built binary: exit 1, names the path it looked at, no cargo" \
  eval '[ $rc = 1 ] && has "$TMP/skip-missing.log" "$SKIPTREE/target/x86_64-unknown-linux-musl/release/ritual-roast does not exist" && ! grep -qE "(\+|would run:) cargo build" "$TMP/skip-missing.log"'
mkdir -p "$SKIPTREE/target/x86_64-unknown-linux-musl/release"
cp "$(variant 1)" "$SKIPTREE/target/x86_64-unknown-linux-musl/release/ritual-roast"
"$SKIPTREE/deploy.sh" --skip-build --dry-run </dev/null >"$TMP/skip.log" 2>&1; rc=$?
check "--skip-build with the built binary: uses it, runs no cargo (dry run exit 0)" \
  eval '[ $rc = 0 ] && has "$TMP/skip.log" "binary: $SKIPTREE/target/x86_64-unknown-linux-musl/release/ritual-roast" && ! grep -qE "(\+|would run:) cargo build" "$TMP/skip.log"'
dump "$TMP"/{dynamic,arm,skip-missing,skip}.log

# ------------------------------------------------------------------------------------------- dry run
section "--dry-run changes nothing"
# Positive state first: moto's ECR and the registry answer (so the negative checks below mean something).
check "(control) moto's ECR answers and the registry's catalog is readable" \
  eval 'aws ecr describe-repositories >/dev/null && curl -fs "http://$REGISTRY/v2/_catalog" | grep -q repositories'
deploy "$TMP/dry.log" --dry-run --binary "$(variant 1)"; rc=$?
check "--dry-run exits 0" eval '[ $rc = 0 ]'
missing_calls=''
for call in "[dry-run] would run: docker build" "[dry-run] would run: aws --region us-east-1 ecr create-repository" \
            "[dry-run] would run: aws --region us-east-1 ecr put-lifecycle-policy" \
            "[dry-run] would run: aws --region us-east-1 ecr get-login-password" "docker login --username AWS" \
            "[dry-run] would run: docker push $REGISTRY/$REPO:" \
            "[dry-run] would run: aws --region us-east-1 ecs register-task-definition" \
            "[dry-run] would run: aws --region us-east-1 ecs run-task" \
            "[dry-run] would run: aws --region us-east-1 ecs update-service" \
            "+ aws --region us-east-1 ecs describe-services" "DRY RUN complete: nothing was changed."; do
  has "$TMP/dry.log" "$call" || missing_calls+="$call; "
done
check "--dry-run prints every docker and mutating AWS call${missing_calls:+ (missing: $missing_calls)}" eval '[ -z "$missing_calls" ]'
aws ecr describe-repositories --repository-names "$REPO" >/dev/null 2>"$TMP/dry-repo.err"
check "--dry-run: the ECR repository was not created (moto says RepositoryNotFoundException)" \
  grep -q RepositoryNotFoundException "$TMP/dry-repo.err"
check "--dry-run: no task definition registered, service untouched" \
  eval '[ "$(td_count)" = 1 ] && [ "$(service_td)" = "$TD1" ]'
catalog=$(curl -fs "http://$REGISTRY/v2/_catalog"); catalog_rc=$?
local_images=$(docker images -q "$REPO"); docker_rc=$?
check "--dry-run: nothing pushed to the registry (catalog read: $catalog), no local image built (docker answered)" \
  eval '[ $catalog_rc = 0 ] && [[ "$catalog" == *repositories* ]] && [[ "$catalog" != *"$REPO"* ]] && [ $docker_rc = 0 ] && [ -z "$local_images" ]'
# --bootstrap --dry-run shows the bootstrap plan: the script runs, in its own dry-run mode.
cat >"$TMP/stub-bootstrap.sh" <<'EOF'
#!/usr/bin/env bash
echo "STUB bootstrap ran with: $* (cluster $RR_CLUSTER, service $RR_SERVICE)"
EOF
RR_BOOTSTRAP_SCRIPT=$TMP/stub-bootstrap.sh deploy "$TMP/dryboot.log" --bootstrap --dry-run --binary "$(variant 1)"; rc=$?
check "--bootstrap --dry-run runs the bootstrap script with --dry-run and shows its plan (exit 0)" \
  eval '[ $rc = 0 ] && has "$TMP/dryboot.log" "STUB bootstrap ran with: --dry-run (cluster ritual-roast, service ritual-roast)"'
dump "$TMP/dry.log" "$TMP/dryboot.log"
# ------------------------------------------------------------------------------------------- first deploy
section "deploy: build, push, migrate, new revision, service update, stable"
deploy "$TMP/d1.log" --binary "$(variant 1)" --keep-images 7; rc=$?
TD2=$(service_td)
IMG2=$(td_image "$TD2")
TAG1=$(pushed_tag "$TMP/d1.log")
REG_DIGEST1=$(registry_digest "$TAG1")
check "deploy exits 0 with a SUCCESS line naming the revision and the digest" \
  eval '[ $rc = 0 ] && grep -q "^SUCCESS: .* stable on ritual-roast:2 .*@sha256:[0-9a-f]\{64\}" "$TMP/d1.log"'
[ $rc != 0 ] || saw 0
check "the service ends on the new revision (ritual-roast:2)" eval '[ "${TD2##*/}" = ritual-roast:2 ]'
check "the new revision's image is the pushed repository pinned by digest ($IMG2)" \
  eval '[[ "$IMG2" =~ ^$REGISTRY/$REPO@sha256:[0-9a-f]{64}$ ]]'
check "that digest is what the registry serves for tag $TAG1 ($REG_DIGEST1)" \
  eval '[ -n "$REG_DIGEST1" ] && [ "${IMG2#*@}" = "$REG_DIGEST1" ]'
SHORT_SHA=$(git -C "$ROOT" rev-parse --short HEAD)
if [ -z "$(git -C "$ROOT" status --porcelain)" ]; then
  check "clean tree: the tag is the git short sha ($SHORT_SHA)" eval '[ "$TAG1" = "$SHORT_SHA" ]'
else
  check "dirty tree: the tag is <sha>-dirty-<timestamp> and deploy.sh warned" \
    eval '[[ "$TAG1" =~ ^$SHORT_SHA-dirty-[0-9]{8}T[0-9]{6}Z$ ]] && has "$TMP/d1.log" "uncommitted changes"'
fi
# Everything but that one image is unchanged (sidecar, env, roles, systemControls, tags ...).
awsj ecs describe-task-definition --task-definition "$TD1" --include TAGS >"$TMP/td1-desc.json"
awsj ecs describe-task-definition --task-definition "$TD2" --include TAGS >"$TMP/td2-desc.json"
same_but_image() {
  python3 - "$TMP/td1-desc.json" "$TMP/td2-desc.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def norm(d):
    td = dict(d["taskDefinition"])
    for k in ("taskDefinitionArn", "revision", "registeredAt", "registeredBy", "status"):
        td.pop(k, None)
    for c in td["containerDefinitions"]:
        if c["name"] == "ritual-roast":
            c["image"] = "<image>"
    return td, d.get("tags", [])
if norm(a) != norm(b):
    print(json.dumps(norm(a), indent=1, sort_keys=True)); print(json.dumps(norm(b), indent=1, sort_keys=True))
    sys.exit(1)
PY
}
check "the new revision equals the old one except the ritual-roast image (sidecar, env, tags kept)" same_but_image
awsj ecr describe-repositories --repository-names "$REPO" >"$TMP/repo.json" 2>/dev/null
check "ECR repository created with scan on push and immutable tags" \
  eval '[ "$(jq_py "$TMP/repo.json" "d[\"repositories\"][0][\"imageScanningConfiguration\"][\"scanOnPush\"]")" = True ] && [ "$(jq_py "$TMP/repo.json" "d[\"repositories\"][0][\"imageTagMutability\"]")" = IMMUTABLE ]'
awst ecr get-lifecycle-policy --repository-name "$REPO" --query lifecyclePolicyText >"$TMP/lifecycle.json" 2>&1
lifecycle_ok() { # the deployed- prefix is matched first and never expired; everything else: the newest 7
  python3 - "$TMP/lifecycle.json" <<'PY'
import json, sys
rules = sorted(json.load(open(sys.argv[1]))["rules"], key=lambda r: r["rulePriority"])
first, last = rules[0]["selection"], rules[-1]["selection"]
ok = (first.get("tagStatus") == "tagged" and first.get("tagPrefixList") == ["deployed-"]
      and first["countType"] == "imageCountMoreThan" and first["countNumber"] >= 10000
      and last["tagStatus"] == "any" and last["countType"] == "imageCountMoreThan" and last["countNumber"] == 7
      and len(rules) == 2)
if not ok:
    print(json.dumps(rules)); sys.exit(1)
PY
}
check "ECR lifecycle: rule 1 never expires tags deployed-* (count 10000+), rule 2 keeps the last 7 (--keep-images 7)" lifecycle_ok
check "the deployed digest is protected: tag deployed-<digest hex> in the registry points at it" \
  eval '[ -n "$REG_DIGEST1" ] && [ "$(registry_digest "deployed-${REG_DIGEST1#sha256:}")" = "$REG_DIGEST1" ]'
check "the image was built for linux/amd64 (docker build --platform linux/amd64) and is amd64" \
  eval 'has "$TMP/d1.log" "--platform linux/amd64" && [ "$(docker image inspect -f "{{.Os}}/{{.Architecture}}" "$REGISTRY/$REPO:$TAG1" 2>/dev/null)" = linux/amd64 ]'
check "the waiter printed progress lines naming our deployment (rollout state, running counts)" \
  eval 'grep -q "^  \[ *[0-9]*s\] ritual-roast:2: deployment ecs-svc/[0-9]* .*running 2/2.* COMPLETED" "$TMP/d1.log"'
# The migration task: the new revision, command "migrate", the service's network, before update-service.
awsj ecs list-tasks --cluster ritual-roast --started-by rr-deploy-migrate >"$TMP/mig-list.json" 2>&1
mig_task=$(jq_py "$TMP/mig-list.json" '(d["taskArns"] or [""])[0]' 2>/dev/null)
[ -z "$mig_task" ] || awsj ecs describe-tasks --cluster ritual-roast --tasks "$mig_task" >"$TMP/mig.json" 2>&1
migration_ok() {
  python3 - "$TMP/mig.json" "$TD2" "$SUBNET" "$SG" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tasks"][0]
over = {c["name"]: c.get("command") for c in t["overrides"]["containerOverrides"]}
net = t.get("attachments", [{}])[0].get("details", [])
subnet = [x["value"] for x in net if x["name"] == "subnetId"]
ok = (t["taskDefinitionArn"] == sys.argv[2] and over.get("ritual-roast") == ["migrate"]
      and t["lastStatus"] == "STOPPED" and t["containers"][0]["exitCode"] == 0 and subnet == [sys.argv[3]])
if not ok:
    print(json.dumps(t, default=str)[:2000]); sys.exit(1)
PY
}
check "a one-off migration task ran the new revision with command [migrate] in the service's subnet, exit 0" \
  eval '[ -n "$mig_task" ] && migration_ok'
mig_line=$(grep -n "ecs run-task" "$TMP/d1.log" | head -1 | cut -d: -f1)
upd_line=$(grep -n "ecs update-service" "$TMP/d1.log" | head -1 | cut -d: -f1)
check "the migration ran (and exited 0) before update-service" \
  eval '[ -n "$mig_line" ] && [ -n "$upd_line" ] && [ "$mig_line" -lt "$upd_line" ] && has "$TMP/d1.log" "migration task exited 0"'
check "the deploy lock was released (no SSM lock parameter left)" \
  lock_gone /ritual-roast/deploy-lock/ritual-roast/ritual-roast
dump "$TMP/d1.log"

section "the image"
docker image inspect "$REGISTRY/$REPO:$TAG1" >"$TMP/image.json" 2>/dev/null
image_ok() {
  python3 - "$TMP/image.json" "$(cat "$ROOT/tests/image/max-bytes")" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))[0]; c = i["Config"]
problems = []
want = {"User": "10001:10001", "StopSignal": "SIGTERM", "Entrypoint": ["/ritual-roast"], "Cmd": ["serve"]}
for k, v in want.items():
    if c.get(k) != v: problems.append("%s=%r, want %r" % (k, c.get(k), v))
if list((c.get("ExposedPorts") or {}).keys()) != ["8080/tcp"]: problems.append("ExposedPorts=%r" % c.get("ExposedPorts"))
if "PORT=8080" not in (c.get("Env") or []): problems.append("Env=%r, want PORT=8080" % c.get("Env"))
if len(i["RootFS"]["Layers"]) != 1: problems.append("%d layers, want 1 (the binary)" % len(i["RootFS"]["Layers"]))
max_bytes = int(sys.argv[2])  # tests/image/max-bytes, shared with tests/image/run.sh
if i["Size"] > max_bytes: problems.append("size %d > %d (tests/image/max-bytes)" % (i["Size"], max_bytes))
if problems:
    print("; ".join(problems)); sys.exit(1)
PY
}
check "image: FROM scratch, one layer, USER 10001:10001, PORT=8080 + EXPOSE 8080, STOPSIGNAL SIGTERM, ENTRYPOINT/CMD, within tests/image/max-bytes" image_ok
# Port 8080 as uid 10001 on a read-only root needs no sysctl: the container runs with Linux's default
# net.ipv4.ip_unprivileged_port_start=1024 set explicitly (Docker itself lowers it to 0; Fargate may not).
# busybox (mounted, not in the image) plays the server.
HOST_PORT=$(free_port)
PORT_CONTAINER=rr-e2e-port-$RUN_ID
docker run -d --name "$PORT_CONTAINER" --read-only --sysctl net.ipv4.ip_unprivileged_port_start=1024 \
  -p "127.0.0.1:$HOST_PORT:8080" -v "$BUSYBOX:/busybox:ro" \
  --entrypoint /busybox "$REGISTRY/$REPO:$TAG1" httpd -f -p 8080 -h / >/dev/null 2>"$TMP/port.err"
http=000
for _ in $(seq 1 50); do
  http=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HOST_PORT/" 2>/dev/null) && [ "$http" != 000 ] && break
  sleep 0.1
done
uid=$(docker exec "$PORT_CONTAINER" /busybox id -u 2>/dev/null)
check "the image's default user (uid $uid) binds 8080 without any sysctl and answers HTTP ($http)" \
  eval '[ "$uid" = 10001 ] && [ "$http" != 000 ]'
# Positive state first: the container is running and exec works; then the write must fail as read-only.
ro_out=$(docker exec "$PORT_CONTAINER" /busybox sh -c '/busybox id -u && /busybox touch /probe' 2>&1); ro_rc=$?
check "the root filesystem is read-only (exec ran as 10001, touch /probe: Read-only file system)" \
  eval '[ "$(docker inspect -f "{{.State.Running}}" "$PORT_CONTAINER" 2>/dev/null)" = true ] && [ "$ro_rc" != 0 ] && [[ "$ro_out" == *10001* && "$ro_out" == *"Read-only file system"* ]]'
docker rm -f "$PORT_CONTAINER" >/dev/null 2>&1; PORT_CONTAINER=''
docker run --rm --read-only --sysctl net.ipv4.ip_unprivileged_port_start=1024 -v "$BUSYBOX:/busybox:ro" \
  --entrypoint /busybox "$REGISTRY/$REPO:$TAG1" httpd -f -p 80 >/dev/null 2>"$TMP/denied.err"
check "control: under the same sysctl, binding port 80 is refused (why the container moved to 8080)" \
  grep -q "Permission denied" "$TMP/denied.err"

# .dockerignore: a build context from a tree with a big target/ holds only the binary and the build inputs.
mkdir -p "$TMP/ctx/target/x86_64-unknown-linux-musl/release/deps" "$TMP/ctx/target/debug" "$TMP/ctx/src" "$TMP/ctx/.git" "$TMP/ctx/tests"
cp "$ROOT/.dockerignore" "$TMP/ctx/"
cp "$BUSYBOX" "$TMP/ctx/target/x86_64-unknown-linux-musl/release/ritual-roast"
head -c 20000000 /dev/zero >"$TMP/ctx/target/debug/big"
echo junk >"$TMP/ctx/target/x86_64-unknown-linux-musl/release/deps/junk"
echo 'fn main() {}' >"$TMP/ctx/src/main.rs"
echo x >"$TMP/ctx/.git/HEAD"; echo x >"$TMP/ctx/tests/t.sh"; echo x >"$TMP/ctx/README.md"
printf 'FROM scratch\nCOPY . /ctx/\n' >"$TMP/ctx-list.Dockerfile"
ctx_files=''
if docker build -q -f "$TMP/ctx-list.Dockerfile" -t "rr-e2e-ctx-$RUN_ID:list" "$TMP/ctx" >/dev/null 2>&1 \
   && cid=$(docker create "rr-e2e-ctx-$RUN_ID:list" /none 2>/dev/null); then
  ctx_files=$(docker export "$cid" | tar -t | grep '^ctx/.' | grep -v '/$' | sort | tr '\n' ' ')
  docker rm "$cid" >/dev/null 2>&1
fi
check ".dockerignore: context = binary + build inputs only [${ctx_files}]" \
  eval '[[ "$ctx_files" == *"ctx/target/x86_64-unknown-linux-musl/release/ritual-roast"* ]] && [[ "$ctx_files" == *"ctx/src/main.rs"* ]] && [[ "$ctx_files" != *big* && "$ctx_files" != *junk* && "$ctx_files" != *.git* && "$ctx_files" != *README* && "$ctx_files" != *tests/* ]]'

# ------------------------------------------------------------------------------------------- idempotence
section "idempotence, --force, stale reads"
deploy "$TMP/d2.log" --binary "$(variant 1)"; rc=$?
check "second run, same binary: exit 0, nothing to deploy, no new revision" \
  eval '[ $rc = 0 ] && has "$TMP/d2.log" "Nothing to deploy" && [ "$(td_count)" = 2 ] && [ "$(service_td)" = "$TD2" ]'
deploy "$TMP/force.log" --binary "$(variant 1)" --force; rc=$?
TDF=$(service_td)
check "--force, same binary: exit 0, a new revision (ritual-roast:3) with the same image, service on it" \
  eval '[ $rc = 0 ] && ! has "$TMP/force.log" "Nothing to deploy" && [ "${TDF##*/}" = ritual-roast:3 ] && [ "$(td_image "$TDF")" = "$IMG2" ]'
# Right after update-service, describe-services may still show the old state (eventual consistency): the first
# two reads after the update show the service on the old revision without the new deployment.
scenario ritual-roast '{"stale_reads": 2}'
deploy "$TMP/d3.log" --binary "$(variant 2)"; rc=$?
TD3=$(service_td)
IMG3=$(td_image "$TD3")
REG_DIGEST3=$(registry_digest "$(pushed_tag "$TMP/d3.log")")
check "stale reads after update-service do not fail a healthy deploy: exit 0 on ritual-roast:4, no rollback" \
  eval '[ $rc = 0 ] && [ "${TD3##*/}" = ritual-roast:4 ] && ! has "$TMP/d3.log" "Roll back" && has "$TMP/d3.log" "exists: " && ! has "$TMP/d3.log" "create-repository"'
check "ritual-roast:4 pins the new digest, which the registry serves ($REG_DIGEST3)" \
  eval '[ "${IMG3#*@}" = "$REG_DIGEST3" ] && [ "$IMG3" != "$IMG2" ]'
check "both the live and the previous digest carry a deployed-<hex> tag (never expired)" \
  eval '[ "$(registry_digest "deployed-${REG_DIGEST3#sha256:}")" = "$REG_DIGEST3" ] && [ "$(registry_digest "deployed-${REG_DIGEST1#sha256:}")" = "$REG_DIGEST1" ]'
scenario ritual-roast '{}'
dump "$TMP/d2.log" "$TMP/force.log" "$TMP/d3.log"

# ------------------------------------------------------------------------------------------- first deploy from 0
section "a service at desired count 0 (bootstrap mode) is scaled to the minimum, and says so"
create_service fresh 0 "$TD1" || abort "create-service fresh"
deploy "$TMP/fresh.log" --service fresh --binary "$(variant 2)"; rc=$?
fresh_desired=$(awst ecs describe-services --cluster ritual-roast --services fresh --query 'services[0].desiredCount')
check "deploy exits 0, the service now wants 2 tasks ($fresh_desired) and the log says it scaled from 0 to 2" \
  eval '[ $rc = 0 ] && [ "$fresh_desired" = 2 ] && has "$TMP/fresh.log" "desired count 0" && has "$TMP/fresh.log" "setting it to 2"'
dump "$TMP/fresh.log"

# ------------------------------------------------------------------------------------------- failure + rollback
section "rollout that never becomes stable: deploy.sh rolls back, the previous revision is stable (exit 3)"
create_service canary 2 "$TD3" || abort "create-service canary"
scenario canary '{"rollout": "hang", "rollback": "complete"}'
deploy "$TMP/canary.log" --service canary --binary "$(variant 3)" --timeout 3 --rollback-timeout 30; rc=$?
check "deploy.sh timed out, rolled back to ${TD3##*/}, which is stable: exit 3" \
  eval '[ $rc = 3 ] && has "$TMP/canary.log" "not stable after 3s (timeout)" && has "$TMP/canary.log" "Rolled back to ritual-roast:4, which is stable"'
[ $rc != 3 ] || saw 3
check "the service stays on the previous revision" eval '[ "$(service_td canary)" = "$TD3" ]'
dump "$TMP/canary.log"

section "circuit breaker without rollback: deploy.sh rolls back itself and explains the stopped tasks (exit 3)"
create_service failing 2 "$TD3" false || abort "create-service failing"
scenario failing '{"rollout": "fail", "stopped": [{"stoppedReason": "Task failed ELB health checks in (target-group arn:tg/rr)", "exitCode": 137, "reason": "OutOfMemoryError: Container killed due to memory usage", "logs": ["{\"level\":\"INFO\",\"msg\":\"waiting for the migration lock\"}", "{\"level\":\"ERROR\",\"msg\":\"last words of the failed task\"}"]}]}'
deploy "$TMP/failing.log" --service failing --binary "$(variant 3)" --timeout 30; rc=$?
check "exit 3, rolled back by deploy.sh to ${TD3##*/}" \
  eval '[ $rc = 3 ] && has "$TMP/failing.log" "rollout FAILED" && has "$TMP/failing.log" "Rolled back to ritual-roast:4, which is stable" && [ "$(service_td failing)" = "$TD3" ]'
check "each stopped task's stoppedReason, the container's exit code and reason are printed" \
  eval 'has "$TMP/failing.log" "Task failed ELB health checks in (target-group arn:tg/rr)" && has "$TMP/failing.log" "exit code 137" && has "$TMP/failing.log" "OutOfMemoryError: Container killed due to memory usage"'
check "the stopped task's last log lines are printed (awslogs stream of the container)" \
  has "$TMP/failing.log" "last words of the failed task"
dump "$TMP/failing.log"

section "circuit breaker with rollback: ECS rolled back, deploy.sh reports it and does not roll back again (exit 3)"
create_service breaker 2 "$TD3" || abort "create-service breaker"
scenario breaker '{"rollout": "breaker", "polls": 2, "stopped": [{"stoppedReason": "Essential container in task exited", "exitCode": 1, "reason": "boom"}]}'
deploy "$TMP/breaker.log" --service breaker --binary "$(variant 3)" --timeout 30; rc=$?
awsj ecs describe-services --cluster ritual-roast --services breaker >"$TMP/breaker-svc.json"
check "exit 3: the circuit breaker rolled back to ${TD3##*/}, which is stable" \
  eval '[ $rc = 3 ] && has "$TMP/breaker.log" "circuit breaker rolled" && [ "$(service_td breaker)" = "$TD3" ]'
check "deploy.sh made no update-service call of its own back to the previous revision (no second rollback)" \
  eval '[ "$(grep -c "ecs update-service" "$TMP/breaker.log")" = 1 ] && has "$TMP/breaker.log" "update-service"'
check "the breaker run explains the stopped task too (exit code 1, boom)" \
  eval 'has "$TMP/breaker.log" "exit code 1" && has "$TMP/breaker.log" "boom"'
dump "$TMP/breaker.log"

# ------------------------------------------------------------------------------------------- deployment alarms
# The services below have deployment alarms (deploymentConfiguration.alarms, as the template configures them);
# the alarms exist in moto's CloudWatch, named as the template names them for a stack called rr.
DEPLOY_ALARMS="rr-alb-5xx-rate rr-target-p95 rr-lead-5xx"
for a in $DEPLOY_ALARMS; do
  awsj cloudwatch put-metric-alarm --alarm-name "$a" --namespace AWS/ApplicationELB --metric-name RequestCount \
    --statistic Sum --period 60 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanThreshold \
    >/dev/null || abort "put-metric-alarm $a"
done
alarm_state() { awst cloudwatch describe-alarms --alarm-names "$1" --query 'MetricAlarms[0].StateValue'; }
failed_line() { grep '^FAILED' "$1" | tail -1; }
ALARMS_ON="alarms={alarmNames=[rr-alb-5xx-rate,rr-target-p95,rr-lead-5xx],enable=true,rollback=true}"

section "deployment alarm: ECS fails the deployment and rolls back; deploy.sh names the alarm (exit 7)"
create_service alarmed 2 "$TD3" true "$ALARMS_ON" || abort "create-service alarmed"
check "(control) the service's deployment alarms reached moto's ECS, none of the alarms is in ALARM" \
  eval '[ "$(awst ecs describe-services --cluster ritual-roast --services alarmed --query "services[0].deploymentConfiguration.alarms.alarmNames | join(\`,\`, @)")" = rr-alb-5xx-rate,rr-target-p95,rr-lead-5xx ] && [ "$(alarm_state rr-lead-5xx)" = OK ]'
# ECS's event names the alarm; CloudWatch is left alone (the name must come from ECS's words), and the failed
# deployment is already gone when deploy.sh looks (only the events and the rollback's reason say what happened).
scenario alarmed '{"rollout": "alarm", "alarms": ["rr-lead-5xx"], "alarm_state": false, "drop_failed": true, "polls": 2}'
deploy "$TMP/alarmed.log" --service alarmed --binary "$(variant 3)" --timeout 30; rc=$?
check "exit 7, and the last line says a deployment alarm failed it, names rr-lead-5xx, and that ECS rolled back to ${TD3##*/}, which is stable" \
  eval '[ $rc = 7 ] && [[ "$(failed_line "$TMP/alarmed.log")" == "FAILED (deployment alarm): "*rr-lead-5xx*"ECS rolled back to ritual-roast:4, which is stable"* ]] && [ "$(service_td alarmed)" = "$TD3" ]'
[ $rc != 7 ] || saw 7
check "deploy.sh lists the deployment alarms before the rollout and names the alarm in its explanation" \
  eval 'has "$TMP/alarmed.log" "deployment alarms: rr-alb-5xx-rate, rr-target-p95, rr-lead-5xx" && has "$TMP/alarmed.log" "deployment alarm rr-lead-5xx went into ALARM"'
check "not reported as the circuit breaker, and no update-service of deploy.sh's own (ECS rolled back)" \
  eval '! has "$TMP/alarmed.log" "circuit breaker" && [ "$(grep -c "ecs update-service" "$TMP/alarmed.log")" = 1 ]'
dump "$TMP/alarmed.log"

section "deployment alarm that only CloudWatch names; an alarm already in ALARM is not blamed (exit 7)"
create_service alarmed2 2 "$TD3" true "$ALARMS_ON" || abort "create-service alarmed2"
awsj cloudwatch set-alarm-state --alarm-name rr-target-p95 --state-value ALARM --state-reason "test: in ALARM before the deploy" \
  || abort "set-alarm-state rr-target-p95"
# ECS says only "alarm(s)"; moto's CloudWatch puts rr-alb-5xx-rate into ALARM as ECS fails the deployment.
scenario alarmed2 '{"rollout": "alarm", "alarms": ["rr-alb-5xx-rate"], "alarm_named": false, "polls": 2}'
deploy "$TMP/alarmed2.log" --service alarmed2 --binary "$(variant 3)" --timeout 30; rc=$?
check "before the rollout deploy.sh warns that rr-target-p95 is already in ALARM (ECS will not act on it)" \
  eval 'grep -q "WARNING: deployment alarm(s) already in ALARM: rr-target-p95\. ECS does not act on" "$TMP/alarmed2.log"'
check "exit 7, naming rr-alb-5xx-rate (from CloudWatch, with its state reason), not rr-target-p95; back on ${TD3##*/}" \
  eval '[ $rc = 7 ] && [[ "$(failed_line "$TMP/alarmed2.log")" == *"deployment alarm rr-alb-5xx-rate:"* ]] && [[ "$(failed_line "$TMP/alarmed2.log")" != *rr-target-p95* ]] && has "$TMP/alarmed2.log" "alarm rr-alb-5xx-rate: Threshold Crossed" && has "$TMP/alarmed2.log" "alarm rr-target-p95: test: in ALARM before the deploy (already in ALARM when the deploy started)" && [ "$(service_td alarmed2)" = "$TD3" ]'
dump "$TMP/alarmed2.log"
awsj cloudwatch set-alarm-state --alarm-name rr-target-p95 --state-value OK --state-reason "test: reset" >/dev/null
awsj cloudwatch set-alarm-state --alarm-name rr-alb-5xx-rate --state-value OK --state-reason "test: reset" >/dev/null

section "deployment alarm without ECS rollback: deploy.sh rolls back itself, still names the alarm (exit 7)"
create_service alarmed3 2 "$TD3" false "alarms={alarmNames=[rr-alb-5xx-rate,rr-target-p95,rr-lead-5xx],enable=true,rollback=false}" \
  || abort "create-service alarmed3"
scenario alarmed3 '{"rollout": "alarm", "alarms": ["rr-target-p95"]}'
deploy "$TMP/alarmed3.log" --service alarmed3 --binary "$(variant 3)" --timeout 30; rc=$?
check "exit 7: deploy.sh rolled back to ${TD3##*/} itself (one update-service of its own) and names rr-target-p95" \
  eval '[ $rc = 7 ] && [[ "$(failed_line "$TMP/alarmed3.log")" == *"rr-target-p95"*"deploy.sh rolled back to ritual-roast:4, which is stable"* ]] && [ "$(grep -c "ecs update-service" "$TMP/alarmed3.log")" = 2 ] && [ "$(service_td alarmed3)" = "$TD3" ]'
dump "$TMP/alarmed3.log"
awsj cloudwatch set-alarm-state --alarm-name rr-target-p95 --state-value OK --state-reason "test: reset" >/dev/null

section "rollout whose rollback does not recover either (exit 4)"
create_service broken 2 "$TD3" || abort "create-service broken"
scenario broken '{"rollout": "hang", "rollback": "hang"}'
deploy "$TMP/broken.log" --service broken --binary "$(variant 3)" --timeout 2 --rollback-timeout 2; rc=$?
check "deploy.sh exits 4, rolled back, and says the service needs a human" \
  eval '[ $rc = 4 ] && has "$TMP/broken.log" "rolled back to ritual-roast:4, but that is not stable either" && has "$TMP/broken.log" "needs a human"'
[ $rc != 4 ] || saw 4
check "the broken service is back on the previous revision" eval '[ "$(service_td broken)" = "$TD3" ]'
dump "$TMP/broken.log"

# ------------------------------------------------------------------------------------------- someone else
section "a newer deployment by someone else: superseded (exit 5), nothing rolled back"
create_service shared 2 "$TD3" || abort "create-service shared"
scenario shared '{"rollout": "hang"}'
"$DEPLOY" --service shared --binary "$(variant 4)" --timeout 60 </dev/null >"$TMP/shared.log" 2>&1 &
dpid=$!
waiting=0
for _ in $(seq 1 600); do
  has "$TMP/shared.log" "Wait until" && { waiting=1; break; }
  kill -0 "$dpid" 2>/dev/null || break
  sleep 0.1
done
# A colleague deploys ritual-roast:2 meanwhile (the service's own API, like another deploy.sh or the console);
# their rollout is still running too (the scenario stays "hang": ours must not complete by accident).
[ $waiting = 1 ] && awsj ecs update-service --cluster ritual-roast --service shared --task-definition "$TD2" >/dev/null
if [ $waiting = 1 ]; then wait "$dpid"; rc=$?; else kill "$dpid" 2>/dev/null; wait "$dpid"; rc=killed; fi
check "deploy.sh exits 5 and says which newer deployment superseded it" \
  eval '[ "$rc" = 5 ] && has "$TMP/shared.log" "superseded" && has "$TMP/shared.log" "ritual-roast:2"'
[ "$rc" != 5 ] || saw 5
check "the colleague's revision stays (no rollback over it)" \
  eval '[ "$(service_td shared)" = "$TD2" ] && ! has "$TMP/shared.log" "Roll back"'
dump "$TMP/shared.log"

# ------------------------------------------------------------------------------------------- two deploys at once
section "two deploys at once: the second is refused and told who holds the lock (exit 6)"
create_service busy 2 "$TD3" || abort "create-service busy"
scenario busy '{"rollout": "hang"}'
"$DEPLOY" --service busy --binary "$(variant 4)" --timeout 120 </dev/null >"$TMP/busy-a.log" 2>&1 &
apid=$!
waiting=0
for _ in $(seq 1 600); do
  has "$TMP/busy-a.log" "Wait until" && { waiting=1; break; }
  kill -0 "$apid" 2>/dev/null || break
  sleep 0.1
done
deploy "$TMP/busy-b.log" --service busy --binary "$(variant 5)"; rc=$?
check "while deploy A rolls out, deploy B exits 6 naming the holder (pid $apid) and changes nothing" \
  eval '[ $waiting = 1 ] && [ $rc = 6 ] && has "$TMP/busy-b.log" "pid $apid" && has "$TMP/busy-b.log" "held by" && ! has "$TMP/busy-b.log" "+ docker build"'
[ $rc != 6 ] || saw 6
kill -TERM "$apid" 2>/dev/null; wait "$apid"; arc=$?
# (The exit status only: when SIGTERM lands while the aws CLI runs, bash 5.2 here ends with 130 but the trap's
# "To roll back by hand" line does not always appear; see docs/deploy.md.)
check "deploy A, interrupted (SIGTERM), exits 130 ($arc)" eval '[ "$arc" = 130 ]'
[ $arc != 130 ] || saw 130
check "the interrupted deploy released its lock" \
  lock_gone /ritual-roast/deploy-lock/ritual-roast/busy
# The abandoned rollout is still IN_PROGRESS on the service: a new deploy refuses to start another on top.
deploy "$TMP/busy-c.log" --service busy --binary "$(variant 5)"; rc=$?
check "a deployment still IN_PROGRESS on the service: exit 6, names the deployment" \
  eval '[ $rc = 6 ] && grep -q "deployment ecs-svc/[0-9]* .*IN_PROGRESS" "$TMP/busy-c.log" && ! has "$TMP/busy-c.log" "+ docker build"'
dump "$TMP"/busy-{a,b,c}.log

# ------------------------------------------------------------------------------------------- migrations
section "a failed migration task stops the deploy before the service changes (exit 1)"
create_service migfail 2 "$TD3" || abort "create-service migfail"
scenario migrate '{"exit": 1, "reason": "migration 2026-11-30-add-index failed"}'
deploy "$TMP/migfail.log" --service migfail --binary "$(variant 6)"; rc=$?
scenario migrate '{}'
check "exit 1, says the migration task exited 1 with its reason, the service stays on ${TD3##*/}" \
  eval '[ $rc = 1 ] && has "$TMP/migfail.log" "migration task" && has "$TMP/migfail.log" "exit code 1" && has "$TMP/migfail.log" "migration 2026-11-30-add-index failed" && [ "$(service_td migfail)" = "$TD3" ] && ! grep -q "ecs update-service" "$TMP/migfail.log"'
dump "$TMP/migfail.log"

# ------------------------------------------------------------------------------------------- the rest
section "every exit code in --help was provoked"
unseen=''
for code in $EXIT_CODES; do [[ "$seen_codes" == *" $code "* ]] || unseen+=" $code"; done
check "exit codes seen in this run:$seen_codes${unseen:+(never seen:$unseen)}" eval '[ -z "$unseen" ]'
check "the main service was never touched by the failing runs" eval '[ "$(service_td)" = "$TD3" ]'

finish
