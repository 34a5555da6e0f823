#!/usr/bin/env bash
# End-to-end test of deploy.sh, fully offline:
#   - a moto server (ECR, ECS, EC2, STS) on a free loopback port, with MOTO_ECS_SERVICE_RUNNING=2;
#   - Debian's docker-registry (our own config: filesystem storage in a temp dir, no auth) as the registry,
#     reached through deploy.sh's RR_REGISTRY_HOST override (moto's ECR hands out the real AWS registry host);
#   - the local Docker engine builds the FROM scratch image (no image is pulled).
# The binary: $RR_TEST_DEPLOY_BINARY if set, else the real release binary
# (target/x86_64-unknown-linux-musl/release/ritual-roast) when it exists, else busybox-static as a stand-in.
# Installs what it lacks (apt: docker-registry busybox-static curl; pip: moto[server] awscli).
# RR_TEST_KEEP=1 keeps the temp dir (deploy.sh, moto and registry logs).
# Prints "N passed, M failed" last; exits non-zero when anything failed. Takes about 2 minutes.
# Checks are eval strings evaluated later, and helpers run from traps: hence these shellcheck exclusions.
# shellcheck disable=SC2016,SC2034,SC2317
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

MOTO_ECS_SERVICE_RUNNING=2 moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$TMP/moto.log" 2>&1 &
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
# Shaped like the seed's task definition, plus a sidecar and tags: everything but the image must survive.
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
      "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
      "readonlyRootFilesystem": true,
      "user": "10001:10001",
      "stopTimeout": 30,
      "systemControls": [{"namespace": "net.ipv4.ip_unprivileged_port_start", "value": "0"}],
      "environment": [
        {"name": "DB_SERVER", "value": "db.internal"},
        {"name": "DB_DATABASE", "value": "ritualroast"},
        {"name": "SECRET_NAME", "value": "ritual-roast/db"},
        {"name": "AWS_REGION", "value": "us-east-1"}
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
create_service() { # name desired-count task-definition
  awsj ecs create-service --cluster ritual-roast --service-name "$1" --desired-count "$2" --task-definition "$3" \
    --launch-type FARGATE --network-configuration "$NETCONF" \
    --deployment-configuration 'maximumPercent=200,minimumHealthyPercent=100,deploymentCircuitBreaker={enable=true,rollback=true}' \
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

# ------------------------------------------------------------------------------------------- usage, preflight
section "help, usage errors, preflight"
deploy "$TMP/help.log" --help; rc=$?
check "--help exits 0 and documents flags, env and defaults" \
  eval '[ $rc = 0 ] && has "$TMP/help.log" --dry-run && has "$TMP/help.log" RR_REGISTRY_HOST && has "$TMP/help.log" "RR_CLUSTER"'
deploy "$TMP/usage.log" --timeout soon; rc=$?
check "a bad --timeout is a usage error (exit 2)" eval '[ $rc = 2 ] && has "$TMP/usage.log" "--timeout must be a whole number"'

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

# ------------------------------------------------------------------------------------------- dry run
section "--dry-run changes nothing"
deploy "$TMP/dry.log" --dry-run --binary "$(variant 1)"; rc=$?
check "--dry-run exits 0" eval '[ $rc = 0 ]'
missing_calls=''
for call in "[dry-run] would run: docker build" "[dry-run] would run: aws --region us-east-1 ecr create-repository" \
            "[dry-run] would run: aws --region us-east-1 ecr put-lifecycle-policy" \
            "[dry-run] would run: aws --region us-east-1 ecr get-login-password" "docker login --username AWS" \
            "[dry-run] would run: docker push $REGISTRY/$REPO:" \
            "[dry-run] would run: aws --region us-east-1 ecs register-task-definition" \
            "[dry-run] would run: aws --region us-east-1 ecs update-service" \
            "+ aws --region us-east-1 ecs describe-services" "DRY RUN complete: nothing was changed."; do
  has "$TMP/dry.log" "$call" || missing_calls+="$call; "
done
check "--dry-run prints every docker and mutating AWS call${missing_calls:+ (missing: $missing_calls)}" eval '[ -z "$missing_calls" ]'
check "--dry-run: the ECR repository was not created" \
  eval '! aws ecr describe-repositories --repository-names "$REPO" >/dev/null 2>&1'
check "--dry-run: no task definition registered, service untouched" \
  eval '[ "$(td_count)" = 1 ] && [ "$(service_td)" = "$TD1" ]'
check "--dry-run: nothing pushed to the registry, no local image built" \
  eval '! curl -fs "http://$REGISTRY/v2/_catalog" | grep -q "$REPO" && [ -z "$(docker images -q "$REPO")" ]'
dump "$TMP/dry.log"

# ------------------------------------------------------------------------------------------- first deploy
section "deploy: build, push, new revision, service update, stable"
deploy "$TMP/d1.log" --binary "$(variant 1)" --keep-images 7; rc=$?
TD2=$(service_td)
IMG2=$(td_image "$TD2")
TAG1=$(pushed_tag "$TMP/d1.log")
REG_DIGEST1=$(registry_digest "$TAG1")
check "deploy exits 0 with a SUCCESS line naming the revision and the digest" \
  eval '[ $rc = 0 ] && grep -q "^SUCCESS: .* stable on ritual-roast:2 .*@sha256:[0-9a-f]\{64\}" "$TMP/d1.log"'
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
check "ECR repository created with scan on push" \
  eval '[ "$(jq_py "$TMP/repo.json" "d[\"repositories\"][0][\"imageScanningConfiguration\"][\"scanOnPush\"]")" = True ]'
check "ECR lifecycle policy keeps the last 7 images (--keep-images 7)" \
  eval 'awst ecr get-lifecycle-policy --repository-name "$REPO" --query lifecyclePolicyText | grep -q "\"countNumber\":7"'
check "the waiter printed progress lines (rollout state, running counts)" \
  eval 'grep -q "^  \[ *[0-9]*s\] ritual-roast:2: service on ritual-roast:2, running 2/2, pending 0, rollout COMPLETED" "$TMP/d1.log"'
dump "$TMP/d1.log"

section "the image"
docker image inspect "$REGISTRY/$REPO:$TAG1" >"$TMP/image.json" 2>/dev/null
image_ok() {
  python3 - "$TMP/image.json" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))[0]; c = i["Config"]
problems = []
want = {"User": "10001:10001", "StopSignal": "SIGTERM", "Entrypoint": ["/ritual-roast"], "Cmd": ["serve"]}
for k, v in want.items():
    if c.get(k) != v: problems.append("%s=%r, want %r" % (k, c.get(k), v))
if list((c.get("ExposedPorts") or {}).keys()) != ["80/tcp"]: problems.append("ExposedPorts=%r" % c.get("ExposedPorts"))
if "PORT=80" not in (c.get("Env") or []): problems.append("Env=%r, want PORT=80 (the app defaults to 8080)" % c.get("Env"))
if len(i["RootFS"]["Layers"]) != 1: problems.append("%d layers, want 1 (the binary)" % len(i["RootFS"]["Layers"]))
if i["Size"] > 15 * 1024 * 1024: problems.append("size %d > 15 MB" % i["Size"])
if problems:
    print("; ".join(problems)); sys.exit(1)
PY
}
check "image: FROM scratch, one layer, USER 10001:10001, PORT=80 + EXPOSE 80, STOPSIGNAL SIGTERM, ENTRYPOINT/CMD, <= 15 MB" image_ok
# Port 80 as uid 10001 on a read-only root: Docker sets net.ipv4.ip_unprivileged_port_start=0 in the
# container's network namespace. busybox (mounted, not in the image) plays the server.
HOST_PORT=$(free_port)
PORT_CONTAINER=rr-e2e-port-$RUN_ID
docker run -d --name "$PORT_CONTAINER" --read-only -p "127.0.0.1:$HOST_PORT:80" -v "$BUSYBOX:/busybox:ro" \
  --entrypoint /busybox "$REGISTRY/$REPO:$TAG1" httpd -f -p 80 -h / >/dev/null 2>"$TMP/port.err"
http=000
for _ in $(seq 1 50); do
  http=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HOST_PORT/" 2>/dev/null) && [ "$http" != 000 ] && break
  sleep 0.1
done
check "the image's default user (uid $(docker exec "$PORT_CONTAINER" /busybox id -u 2>/dev/null)) binds port 80 and answers HTTP ($http)" \
  eval '[ "$(docker exec "$PORT_CONTAINER" /busybox id -u 2>/dev/null)" = 10001 ] && [ "$http" != 000 ]'
check "the root filesystem is read-only" eval '! docker exec "$PORT_CONTAINER" /busybox touch /probe 2>/dev/null'
docker rm -f "$PORT_CONTAINER" >/dev/null 2>&1; PORT_CONTAINER=''
docker run --rm --read-only --sysctl net.ipv4.ip_unprivileged_port_start=1024 -v "$BUSYBOX:/busybox:ro" \
  --entrypoint /busybox "$REGISTRY/$REPO:$TAG1" httpd -f -p 80 >/dev/null 2>"$TMP/denied.err"
check "control: with ip_unprivileged_port_start=1024 the same bind is refused" grep -q "Permission denied" "$TMP/denied.err"

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
section "idempotence"
deploy "$TMP/d2.log" --binary "$(variant 1)"; rc=$?
check "second run, same binary: exit 0, nothing to deploy, no new revision" \
  eval '[ $rc = 0 ] && has "$TMP/d2.log" "Nothing to deploy" && [ "$(td_count)" = 2 ] && [ "$(service_td)" = "$TD2" ]'
deploy "$TMP/d3.log" --binary "$(variant 2)"; rc=$?
TD3=$(service_td)
IMG3=$(td_image "$TD3")
REG_DIGEST3=$(registry_digest "$(pushed_tag "$TMP/d3.log")")
check "third run, new binary: exit 0, service on ritual-roast:3, repository unchanged (already existed)" \
  eval '[ $rc = 0 ] && [ "${TD3##*/}" = ritual-roast:3 ] && has "$TMP/d3.log" "exists: " && ! has "$TMP/d3.log" "create-repository"'
check "ritual-roast:3 pins the new digest, which the registry serves ($REG_DIGEST3)" \
  eval '[ "${IMG3#*@}" = "$REG_DIGEST3" ] && [ "$IMG3" != "$IMG2" ]'
dump "$TMP/d2.log" "$TMP/d3.log"

# ------------------------------------------------------------------------------------------- failure + rollback
section "failed rollout: rollback to the previous revision, which becomes stable (exit 3)"
# moto's quirk: a service created with desiredCount above MOTO_ECS_SERVICE_RUNNING (2) keeps runningCount 2 and
# rolloutState IN_PROGRESS forever: our stand-in for tasks that never get healthy.
create_service canary 3 "$TD3" || abort "create-service canary"
: >"$TMP/canary.log"
"$DEPLOY" --service canary --binary "$(variant 3)" --timeout 3 --rollback-timeout 60 </dev/null >"$TMP/canary.log" 2>&1 &
dpid=$!
seen=0
for _ in $(seq 1 600); do
  has "$TMP/canary.log" "rollback requested" && { seen=1; break; }
  kill -0 "$dpid" 2>/dev/null || break
  sleep 0.1
done
AT_ROLLBACK=$(service_td canary)
check "deploy.sh timed out on the new revision and set the service back to ${TD3##*/}" \
  eval '[ $seen = 1 ] && [ "$AT_ROLLBACK" = "$TD3" ] && has "$TMP/canary.log" "not stable after 3s (timeout)"'
# The previous revision's tasks are healthy: moto cannot change a service's rollout state, so replace the
# service object (create-service over an existing name replaces it in moto) with a healthy one on the same
# (previous) revision. deploy.sh is still polling its rollback.
create_service canary 2 "$AT_ROLLBACK" || fail "recreate canary healthy"
if [ $seen = 1 ]; then wait "$dpid"; rc=$?; else kill "$dpid" 2>/dev/null; wait "$dpid"; rc=killed; fi
check "deploy.sh exits 3 and says it rolled back to ritual-roast:3, which is stable" \
  eval '[ "$rc" = 3 ] && has "$TMP/canary.log" "Rolled back to ritual-roast:3, which is stable"'
check "the service stays on the previous revision" eval '[ "$(service_td canary)" = "$TD3" ]'
dump "$TMP/canary.log"

section "failed rollout whose rollback does not recover either (exit 4)"
create_service broken 3 "$TD3" || abort "create-service broken"
deploy "$TMP/broken.log" --service broken --binary "$(variant 3)" --timeout 2 --rollback-timeout 2; rc=$?
check "deploy.sh exits 4, rolled back, and says the service needs a human" \
  eval '[ $rc = 4 ] && has "$TMP/broken.log" "rolled back to ritual-roast:3, but that is not stable either" && has "$TMP/broken.log" "needs a human"'
check "the broken service is back on the previous revision" eval '[ "$(service_td broken)" = "$TD3" ]'
check "the main service was never touched by the failing runs" eval '[ "$(service_td)" = "$TD3" ]'
dump "$TMP/broken.log"

finish
