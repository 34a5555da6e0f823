#!/usr/bin/env bash
# deploy.sh: build Ritual Roast, push the image to ECR, roll the ECS service onto it, wait until it is stable,
# roll back when it is not. One command, safe to re-run. Run `./deploy.sh --help`; details in docs/deploy.md.
# shellcheck disable=SC2317  # trap handlers look unreachable to shellcheck
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEFAULT_BINARY=target/x86_64-unknown-linux-musl/release/ritual-roast

usage() {
  cat <<EOF
Usage: ./deploy.sh [options]

Build the static binary, build the FROM-scratch image, push it to ECR (tag = git short sha), register a new
task-definition revision with only the container image changed, update the ECS service, wait until it is
stable, and roll back to the previous revision when it is not.

Options (flag, environment variable, default):
  --cluster NAME          RR_CLUSTER           ritual-roast
  --service NAME          RR_SERVICE           ritual-roast
  --region REGION         AWS_REGION           us-east-1 (AWS_DEFAULT_REGION is used when AWS_REGION is unset)
  --repository NAME       RR_ECR_REPOSITORY    ritual-roast   ECR repository (created when missing)
  --container NAME        RR_CONTAINER         ritual-roast   container in the task definition to update
  --timeout SECONDS       RR_TIMEOUT           600            wait for the new revision to become stable
  --rollback-timeout SEC  RR_ROLLBACK_TIMEOUT  = --timeout    wait for the rolled-back revision
  --poll-interval SEC     RR_POLL_INTERVAL     10             seconds between describe-services polls
  --keep-images N         RR_ECR_KEEP_IMAGES   30             ECR lifecycle policy: keep the last N images
  --binary PATH           RR_BINARY            (build)        use this prebuilt static binary (implies --skip-build)
  --skip-build                                               use the prebuilt binary at $DEFAULT_BINARY
  --force                                                    deploy even when the service already runs this image
  --bootstrap                                                run infra/bootstrap.sh first (RR_BOOTSTRAP_SCRIPT overrides)
  --dry-run                                                  print every docker and mutating AWS call instead of
                                                             running it (read-only AWS calls still run)
  -h, --help                                                 show this help

Other environment:
  RR_REGISTRY_HOST   push to this registry host instead of the ECR repository's host (tests, mirrors)
  AWS_PROFILE, AWS_ENDPOINT_URL, ...   honoured by the AWS CLI as usual

Exit status: 0 deployed (or already deployed); 1 error before the service was changed (preflight, build,
push, register; or the service update itself failed); 2 usage error; 3 the new revision did not become stable
and the service was rolled back to the previous revision, which is stable; 4 rolled back, but the previous
revision did not become stable either (needs a human); 130 interrupted.
EOF
}

# ---------------------------------------------------------------------------------------------- settings
CLUSTER=${RR_CLUSTER:-ritual-roast}
SERVICE=${RR_SERVICE:-ritual-roast}
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
REPOSITORY=${RR_ECR_REPOSITORY:-ritual-roast}
CONTAINER=${RR_CONTAINER:-ritual-roast}
TIMEOUT=${RR_TIMEOUT:-600}
ROLLBACK_TIMEOUT=${RR_ROLLBACK_TIMEOUT:-}
POLL_INTERVAL=${RR_POLL_INTERVAL:-10}
KEEP_IMAGES=${RR_ECR_KEEP_IMAGES:-30}
BINARY=${RR_BINARY:-}
REGISTRY_HOST_OVERRIDE=${RR_REGISTRY_HOST:-}
BOOTSTRAP_SCRIPT=${RR_BOOTSTRAP_SCRIPT:-$SCRIPT_DIR/infra/bootstrap.sh}
SKIP_BUILD=0
[ -n "$BINARY" ] && SKIP_BUILD=1
DRY_RUN=0
FORCE=0
BOOTSTRAP=0

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
warn() { printf 'deploy.sh: WARNING: %s\n' "$*" >&2; }
die() { printf 'deploy.sh: error: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'deploy.sh: %s (see --help)\n' "$*" >&2; exit 2; }

need_value() { [ $# -ge 2 ] || usage_error "$1 needs a value"; }
while [ $# -gt 0 ]; do
  arg=$1
  case $arg in
    --*=*) set -- "${arg%%=*}" "${arg#*=}" "${@:2}"; continue ;;
  esac
  case $arg in
    -h|--help) usage; exit 0 ;;
    --cluster) need_value "$@"; CLUSTER=$2; shift 2 ;;
    --service) need_value "$@"; SERVICE=$2; shift 2 ;;
    --region) need_value "$@"; REGION=$2; shift 2 ;;
    --repository) need_value "$@"; REPOSITORY=$2; shift 2 ;;
    --container) need_value "$@"; CONTAINER=$2; shift 2 ;;
    --timeout) need_value "$@"; TIMEOUT=$2; shift 2 ;;
    --rollback-timeout) need_value "$@"; ROLLBACK_TIMEOUT=$2; shift 2 ;;
    --poll-interval) need_value "$@"; POLL_INTERVAL=$2; shift 2 ;;
    --keep-images) need_value "$@"; KEEP_IMAGES=$2; shift 2 ;;
    --binary) need_value "$@"; BINARY=$2; SKIP_BUILD=1; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --force) FORCE=1; shift ;;
    --bootstrap) BOOTSTRAP=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) usage_error "unknown argument: $arg" ;;
  esac
done
ROLLBACK_TIMEOUT=${ROLLBACK_TIMEOUT:-$TIMEOUT}
for pair in "timeout:$TIMEOUT" "rollback-timeout:$ROLLBACK_TIMEOUT" "poll-interval:$POLL_INTERVAL" \
            "keep-images:$KEEP_IMAGES"; do
  case ${pair#*:} in ''|*[!0-9]*) usage_error "--${pair%%:*} must be a whole number, got '${pair#*:}'" ;; esac
done
[ "$POLL_INTERVAL" -ge 1 ] || POLL_INTERVAL=1
[ "$KEEP_IMAGES" -ge 1 ] || usage_error "--keep-images must be at least 1"
for pair in "cluster:$CLUSTER" "service:$SERVICE" "region:$REGION" "repository:$REPOSITORY" "container:$CONTAINER"; do
  [ -n "${pair#*:}" ] || usage_error "--${pair%%:*} must not be empty"
done
if [ "$SKIP_BUILD" = 1 ] && [ -z "$BINARY" ]; then BINARY=$SCRIPT_DIR/$DEFAULT_BINARY; fi
if [ -n "$BINARY" ] && [ "${BINARY#/}" = "$BINARY" ]; then BINARY=$PWD/$BINARY; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rr-deploy.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------- helpers
# Commands are echoed to fd 3 (the original stdout), so the echo survives redirections of their output.
exec 3>&1
quote() { # shell-quotes one word, readably
  case $1 in
    '' | *[!A-Za-z0-9_./:=@,+%-]*) local q="'\\''"; printf "'%s'" "${1//\'/$q}" ;;
    *) printf '%s' "$1" ;;
  esac
}
show_cmd() { # prefix, command...
  local prefix=$1 out='' a; shift
  [ "$1" = awscli ] && { shift; set -- aws --region "$REGION" "$@"; }
  for a in "$@"; do out+=" $(quote "$a")"; done
  printf '%s%s\n' "$prefix" "$out" >&3
}
# A call that only reads: always runs (also in --dry-run), echoed first.
run() { show_cmd '  +' "$@"; "$@"; }
# A call that changes something (AWS resources, docker images, registries, the filesystem): echoed; skipped in --dry-run.
change() {
  if [ "$DRY_RUN" = 1 ]; then show_cmd '  [dry-run] would run:' "$@"; return 0; fi
  show_cmd '  +' "$@"; "$@"
}
awscli() { aws --region "$REGION" --output json "$@"; }

# The embedded Python helper (JSON handling without jq): jsonhelper SUBCOMMAND args...
IFS= read -r -d '' PYHELPER <<'PY' || true
import json, struct, sys

def load(path):
    with open(path) as f:
        return json.load(f)

def short(arn):
    return (arn or "?").rsplit("/", 1)[-1]

def identity(text):
    d = json.loads(text)
    print(d["Account"], d["Arn"])

def service_td(path):
    svcs = [s for s in load(path).get("services", []) if s.get("status") == "ACTIVE"]
    print(svcs[0]["taskDefinition"] if svcs else "")

def deployment_count(path):
    print(len(load(path)["services"][0].get("deployments", [])))

def td_info(path, name):
    td = load(path)["taskDefinition"]
    imgs = [c["image"] for c in td["containerDefinitions"] if c["name"] == name]
    if not imgs:
        names = ", ".join(c["name"] for c in td["containerDefinitions"])
        sys.exit("container %r is not in %s (containers: %s); use --container" % (name, td["taskDefinitionArn"], names))
    print(td["family"], td["revision"], imgs[0])
    # The image runs as uid 10001: a port below 1024 needs ip_unprivileged_port_start lowered on Fargate.
    c = [c for c in td["containerDefinitions"] if c["name"] == name][0]
    low = [m["containerPort"] for m in c.get("portMappings", []) if m.get("containerPort", 1024) < 1024]
    sysctl = [x for d in td["containerDefinitions"] for x in d.get("systemControls", [])
              if x.get("namespace") == "net.ipv4.ip_unprivileged_port_start"]
    if low and not sysctl and c.get("user", "10001").split(":")[0] not in ("0", "root"):
        print("deploy.sh: WARNING: container %s maps port %s as a non-root user but the task definition has no "
              "systemControls net.ipv4.ip_unprivileged_port_start=0; on Fargate the bind may fail "
              "(see docs/deploy.md)" % (name, low[0]), file=sys.stderr)

def repo_info(path):
    r = load(path)["repositories"][0]
    print(r["repositoryUri"], str(r.get("imageScanningConfiguration", {}).get("scanOnPush", False)).lower())

def get(path, *keys):
    d = load(path)
    for k in keys:
        d = d[int(k)] if isinstance(d, list) else d[k]
    print(d)

def static_check(path):
    # A FROM-scratch image has no dynamic loader and no libc: only a static ELF can run there.
    with open(path, "rb") as f:
        h = f.read(64)
        if h[:4] != b"\x7fELF" or h[4] != 2:
            sys.exit("%s is not a 64-bit ELF executable" % path)
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            if struct.unpack("<I", f.read(4))[0] == 3:  # PT_INTERP
                sys.exit("%s is dynamically linked (it has an ELF interpreter); a FROM scratch image needs a "
                         "static binary (target x86_64-unknown-linux-musl)" % path)

# Returned by describe-task-definition, refused by register-task-definition.
READ_ONLY = ("taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt",
             "registeredBy", "deregisteredAt", "deleteRequestedAt")

def derive(path, name, image, out):
    # Same task definition, one image swapped; tags kept. When botocore is importable (AWS CLI v1 or boto3 on
    # this python3), its RegisterTaskDefinition input shape also drops read-only fields AWS adds later.
    d = load(path)
    td = d["taskDefinition"]
    for k in READ_ONLY:
        td.pop(k, None)
    try:
        import botocore.session
        allowed = set(botocore.session.get_session().get_service_model("ecs")
                      .operation_model("RegisterTaskDefinition").input_shape.members)
        for k in [k for k in td if k not in allowed]:
            print("  dropping read-only field %s" % k, file=sys.stderr)
            td.pop(k)
    except ImportError:
        pass
    [c for c in td["containerDefinitions"] if c["name"] == name][0]["image"] = image
    if d.get("tags"):
        td["tags"] = d["tags"]
    with open(out, "w") as f:
        json.dump(td, f, indent=2)

def verdict(path, target, seen_path):
    # FAIL: the service is gone, was moved to another task definition (ECS circuit-breaker rollback or a
    # concurrent deployment), or its primary deployment's rolloutState is FAILED. STABLE: on the target, exactly
    # one deployment, runningCount == desiredCount, rolloutState COMPLETED (or absent). Otherwise WAIT.
    # Output: verdict, progress line (" -- reason" appended on FAIL), then "EVENT message" lines.
    svcs = load(path).get("services") or []
    if not svcs or svcs[0].get("status") != "ACTIVE":
        print("FAIL")
        print("service missing -- the service is missing or not ACTIVE")
        return
    s = svcs[0]
    deps = s.get("deployments") or []
    primary = next((x for x in deps if x.get("status") == "PRIMARY"), deps[0] if deps else {})
    rollout = primary.get("rolloutState") or ""
    parts = []
    for x in deps:
        p = "%s %s %s/%s" % (x.get("status", "?"), short(x.get("taskDefinition")), x.get("runningCount", 0),
                             x.get("desiredCount", 0))
        if x.get("rolloutState"):
            p += " " + x["rolloutState"]
        if x.get("failedTasks"):
            p += " failed=%s" % x["failedTasks"]
        parts.append(p)
    line = "service on %s, running %s/%s, pending %s, rollout %s | deployments: %s" % (
        short(s.get("taskDefinition")), s.get("runningCount", 0), s.get("desiredCount", 0),
        s.get("pendingCount", 0), rollout or "-", "; ".join(parts) or "none")
    if s.get("taskDefinition") != target:
        v = "FAIL"
        line += " -- the service moved to %s (ECS circuit-breaker rollback or another deployment)" % short(s.get("taskDefinition"))
    elif rollout == "FAILED":
        v = "FAIL"
        line += " -- rollout FAILED: %s" % primary.get("rolloutStateReason", "")
    elif len(deps) <= 1 and s.get("runningCount") == s.get("desiredCount") and rollout in ("", "COMPLETED"):
        v = "STABLE"
    else:
        v = "WAIT"
    print(v)
    print(line)
    with open(seen_path) as f:
        seen = set(f.read().split())
    new = [e for e in (s.get("events") or [])[:5] if e.get("id") not in seen]
    with open(seen_path, "a") as f:
        for e in new:
            f.write(e.get("id", "") + "\n")
    for e in reversed(new):
        print("EVENT " + str(e.get("message", "")).replace("\n", " "))

globals()[sys.argv[1].replace("-", "_")](*sys.argv[2:])
PY
jsonhelper() { python3 -c "$PYHELPER" "$@"; }

# ---------------------------------------------------------------------------------------------- preflight
step "Preflight"
missing=()
command -v aws >/dev/null 2>&1 || missing+=("aws (AWS CLI: 'pip install awscli' or https://aws.amazon.com/cli/)")
command -v docker >/dev/null 2>&1 || missing+=("docker (Docker engine and CLI)")
command -v python3 >/dev/null 2>&1 || missing+=("python3 (used to read and edit the AWS JSON)")
if [ "$SKIP_BUILD" = 0 ] && ! command -v cargo >/dev/null 2>&1; then
  missing+=("cargo (Rust toolchain; or pass --skip-build / RR_BINARY=path to use a prebuilt binary)")
fi
if [ ${#missing[@]} -gt 0 ]; then
  printf 'deploy.sh: error: required tools are missing:\n' >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi
if [ "$DRY_RUN" = 0 ]; then
  docker info >/dev/null 2>&1 \
    || die "the Docker daemon is not reachable ('docker info' failed): start Docker, or check DOCKER_HOST and your permissions"
fi
say "  region $REGION, cluster $CLUSTER, service $SERVICE, container $CONTAINER, repository $REPOSITORY"
[ "$DRY_RUN" = 0 ] || say "  DRY RUN: read-only AWS calls run; docker calls and AWS calls that change anything are only printed"
show_cmd '  +' awscli sts get-caller-identity
if ! identity=$(awscli sts get-caller-identity 2>"$WORK/err"); then
  printf 'deploy.sh: error: AWS credentials are missing or invalid (aws sts get-caller-identity failed):\n' >&2
  sed 's/^/    /' "$WORK/err" >&2
  printf '  Configure credentials: aws configure, AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.\n' >&2
  exit 1
fi
ACCOUNT=$(jsonhelper identity "$identity")
say "  AWS identity: account ${ACCOUNT%% *}, ${ACCOUNT#* }"

# ---------------------------------------------------------------------------------------------- bootstrap
if [ "$BOOTSTRAP" = 1 ]; then
  step "Bootstrap: $BOOTSTRAP_SCRIPT"
  [ -f "$BOOTSTRAP_SCRIPT" ] || die "--bootstrap: $BOOTSTRAP_SCRIPT does not exist (the infrastructure bootstrap lives in infra/); create the stack another way or drop --bootstrap"
  export AWS_REGION=$REGION RR_CLUSTER=$CLUSTER RR_SERVICE=$SERVICE RR_ECR_REPOSITORY=$REPOSITORY RR_CONTAINER=$CONTAINER
  change bash "$BOOTSTRAP_SCRIPT" || die "$BOOTSTRAP_SCRIPT failed; nothing was deployed"
fi

# ---------------------------------------------------------------------------------------------- current state
step "Current state of $CLUSTER/$SERVICE"
SERVICE_FOUND=0
PREV_TD=''
if run awscli ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" >"$WORK/service.json" 2>"$WORK/err"; then
  PREV_TD=$(jsonhelper service-td "$WORK/service.json")
  [ -z "$PREV_TD" ] || SERVICE_FOUND=1
else
  sed 's/^/    /' "$WORK/err" >&2
fi
if [ "$SERVICE_FOUND" = 0 ]; then
  [ "$DRY_RUN" = 1 ] || die "service $SERVICE not found (or not ACTIVE) in cluster $CLUSTER: create it first (infra/bootstrap.sh, or --bootstrap)"
  warn "service $SERVICE not found in cluster $CLUSTER (a real run would stop here)"
  FAMILY='<family>' PREV_REV='<n>' PREV_IMAGE='<current image>' PREV_TD='<current task definition>'
else
  run awscli ecs describe-task-definition --task-definition "$PREV_TD" --include TAGS >"$WORK/td.json" \
    || die "cannot describe task definition $PREV_TD"
  info=$(jsonhelper td-info "$WORK/td.json" "$CONTAINER" 2>"$WORK/err") || die "$(cat "$WORK/err")"
  cat "$WORK/err" >&2
  read -r FAMILY PREV_REV PREV_IMAGE <<<"$info"
  say "  service runs $FAMILY:$PREV_REV; container $CONTAINER runs $PREV_IMAGE"
  ndeploy=$(jsonhelper deployment-count "$WORK/service.json")
  [ "$ndeploy" -le 1 ] || warn "the service has $ndeploy deployments (another rollout is in progress); continuing"
fi

# ---------------------------------------------------------------------------------------------- build
step "Build"
GIT_SHA=$(git -C "$SCRIPT_DIR" rev-parse --short HEAD 2>/dev/null || true)
GIT_SHA_FULL=$(git -C "$SCRIPT_DIR" rev-parse HEAD 2>/dev/null || true)
if [ -z "$GIT_SHA" ]; then
  TAG="nogit-$(date -u +%Y%m%dT%H%M%SZ)"
  warn "not a git checkout: tagging the image $TAG"
elif [ -n "$(git -C "$SCRIPT_DIR" status --porcelain 2>/dev/null)" ]; then
  TAG="$GIT_SHA-dirty-$(date -u +%Y%m%dT%H%M%SZ)"
  warn "the working tree has uncommitted changes: tagging the image $TAG (it cannot be rebuilt from git)"
else
  TAG=$GIT_SHA
fi
say "  image tag: $TAG"
if [ "$SKIP_BUILD" = 0 ]; then
  BINARY=$SCRIPT_DIR/$DEFAULT_BINARY
  # TLS to RDS is verified against AWS's RDS root CAs, embedded at build time (certs/README.md). Without the
  # bundle the tasks could not connect to RDS, so fetch it (from AWS) before building, or stop.
  RDS_BUNDLE=$SCRIPT_DIR/certs/rds-global-bundle.pem
  if [ ! -s "$RDS_BUNDLE" ]; then
    change curl -fsS --max-time 60 -o "$RDS_BUNDLE" https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem \
      || die "could not download the RDS CA bundle to certs/rds-global-bundle.pem (see certs/README.md); the app could not verify RDS without it"
    [ "$DRY_RUN" = 1 ] || grep -q 'BEGIN CERTIFICATE' "$RDS_BUNDLE" || die "certs/rds-global-bundle.pem is not a PEM bundle"
  fi
  (cd "$SCRIPT_DIR" && change cargo build --release --locked --target x86_64-unknown-linux-musl) \
    || die "cargo build failed (the musl target needs: rustup target add x86_64-unknown-linux-musl; apt-get install musl-tools)"
fi
if [ "$DRY_RUN" = 0 ] || [ "$SKIP_BUILD" = 1 ]; then
  [ -f "$BINARY" ] || die "binary $BINARY does not exist (build it: cargo build --release --target x86_64-unknown-linux-musl; or point RR_BINARY at one)"
  err=$(jsonhelper static-check "$BINARY" 2>&1) || die "$err"
  say "  binary: $BINARY ($(du -h "$BINARY" | cut -f1), static ELF)"
fi
# The image is built in a one-file context (the binary alone), whatever else the tree holds. The local tag
# is repository:tag; the registry host is added when pushing.
mkdir -p "$WORK/context"
[ "$DRY_RUN" = 1 ] || cp -p "$BINARY" "$WORK/context/ritual-roast"
LOCAL_IMAGE="$REPOSITORY:$TAG"
change docker build -f "$SCRIPT_DIR/Dockerfile.scratch" --build-arg BINARY=ritual-roast \
  --label "org.opencontainers.image.revision=${GIT_SHA_FULL:-unknown}" --label org.opencontainers.image.title=ritual-roast \
  -t "$LOCAL_IMAGE" "$WORK/context" || die "docker build failed"

# ---------------------------------------------------------------------------------------------- ECR repository
step "ECR repository $REPOSITORY"
LIFECYCLE=$(printf '{"rules":[{"rulePriority":1,"description":"keep the last %s images","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":%s},"action":{"type":"expire"}}]}' "$KEEP_IMAGES" "$KEEP_IMAGES")
if run awscli ecr describe-repositories --repository-names "$REPOSITORY" >"$WORK/repo.json" 2>"$WORK/err"; then
  read -r REPO_URI SCAN <<<"$(jsonhelper repo-info "$WORK/repo.json")"
  say "  exists: $REPO_URI (scan on push: $SCAN)"
  if [ "$SCAN" != true ]; then
    change awscli ecr put-image-scanning-configuration --repository-name "$REPOSITORY" \
      --image-scanning-configuration scanOnPush=true >/dev/null || die "cannot enable scan on push for $REPOSITORY"
  fi
  if run awscli ecr get-lifecycle-policy --repository-name "$REPOSITORY" >/dev/null 2>"$WORK/err"; then
    say "  lifecycle policy present (kept as is)"
  else
    grep -q LifecyclePolicyNotFoundException "$WORK/err" || { cat "$WORK/err" >&2; die "cannot read the lifecycle policy of $REPOSITORY"; }
    change awscli ecr put-lifecycle-policy --repository-name "$REPOSITORY" --lifecycle-policy-text "$LIFECYCLE" >/dev/null \
      || die "cannot set the lifecycle policy of $REPOSITORY"
  fi
else
  grep -q RepositoryNotFoundException "$WORK/err" || { cat "$WORK/err" >&2; die "cannot describe ECR repository $REPOSITORY"; }
  say "  missing: creating it (scan on push, lifecycle policy keeping the last $KEEP_IMAGES images)"
  change awscli ecr create-repository --repository-name "$REPOSITORY" --image-tag-mutability MUTABLE \
    --image-scanning-configuration scanOnPush=true >"$WORK/repo.json" || die "cannot create ECR repository $REPOSITORY"
  change awscli ecr put-lifecycle-policy --repository-name "$REPOSITORY" --lifecycle-policy-text "$LIFECYCLE" >/dev/null \
    || die "cannot set the lifecycle policy of $REPOSITORY"
  if [ "$DRY_RUN" = 1 ]; then
    REPO_URI="${ACCOUNT%% *}.dkr.ecr.$REGION.amazonaws.com/$REPOSITORY"
  else
    REPO_URI=$(jsonhelper get "$WORK/repo.json" repository repositoryUri)
  fi
fi
REGISTRY_HOST=${REPO_URI%%/*}
if [ -n "$REGISTRY_HOST_OVERRIDE" ]; then
  say "  RR_REGISTRY_HOST set: pushing to $REGISTRY_HOST_OVERRIDE instead of $REGISTRY_HOST"
  REGISTRY_HOST=$REGISTRY_HOST_OVERRIDE
fi
IMAGE_REPO="$REGISTRY_HOST/${REPO_URI#*/}"
IMAGE_TAGGED="$IMAGE_REPO:$TAG"

# ---------------------------------------------------------------------------------------------- push
step "Push $IMAGE_TAGGED"
show_cmd "  $([ "$DRY_RUN" = 1 ] && echo '[dry-run] would run:' || echo +)" awscli ecr get-login-password
say "      | docker login --username AWS --password-stdin $REGISTRY_HOST"
if [ "$DRY_RUN" = 0 ]; then
  awscli ecr get-login-password | docker login --username AWS --password-stdin "$REGISTRY_HOST" >"$WORK/login.log" 2>&1 \
    || { sed 's/^/    /' "$WORK/login.log" >&2; die "docker login to $REGISTRY_HOST failed"; }
fi
change docker tag "$LOCAL_IMAGE" "$IMAGE_TAGGED"
if [ "$DRY_RUN" = 1 ]; then
  change docker push "$IMAGE_TAGGED"
  DIGEST='sha256:<digest reported by docker push>'
else
  show_cmd '  +' docker push "$IMAGE_TAGGED"
  docker push "$IMAGE_TAGGED" >"$WORK/push.log" 2>&1 || { sed 's/^/    /' "$WORK/push.log" >&2; die "docker push $IMAGE_TAGGED failed"; }
  sed 's/^/    /' "$WORK/push.log"
  DIGEST=$(sed -n 's/.*digest: \(sha256:[0-9a-f]\{64\}\).*/\1/p' "$WORK/push.log" | tail -1)
  if [ -z "$DIGEST" ]; then
    DIGEST=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$IMAGE_TAGGED" \
      | sed -n "s|^$IMAGE_REPO@||p" | head -1)
  fi
  [ -n "$DIGEST" ] || die "could not find the digest of the pushed image $IMAGE_TAGGED"
fi
# The task definition pins the digest (immutable): a rollback really returns to the old bytes, and a re-pushed
# tag cannot change what running tasks pull.
NEW_IMAGE="$IMAGE_REPO@$DIGEST"
say "  pushed: $NEW_IMAGE (tag $TAG)"
# SBOM (scripts/sbom.sh): CycloneDX JSON of the crates in this binary, from Cargo.lock, pushed beside the image
# as $IMAGE_TAGGED.sbom (a copy stays in target/sbom/).
change "$SCRIPT_DIR/scripts/sbom.sh" push "$IMAGE_TAGGED" "$DIGEST" || die "could not generate or push the SBOM"

# ---------------------------------------------------------------------------------------------- waiting
# Polls describe-services, one progress line per poll. Returns 0 once stable on the target ARN, 1 on failure
# or timeout (reason in WAIT_REASON).
WAIT_REASON=''
wait_stable() { # target task-definition ARN, timeout seconds, label
  local target=$1 timeout=$2 label=$3 start=$SECONDS verdict line
  : >"$WORK/seen-events"
  while :; do
    if ! awscli ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" >"$WORK/poll.json" 2>"$WORK/err"; then
      say "  [$(printf '%4d' $((SECONDS - start)))s] $label: describe-services failed: $(tr '\n' ' ' <"$WORK/err")"
    else
      jsonhelper verdict "$WORK/poll.json" "$target" "$WORK/seen-events" >"$WORK/verdict"
      verdict=$(sed -n 1p "$WORK/verdict")
      line=$(sed -n 2p "$WORK/verdict")
      say "  [$(printf '%4d' $((SECONDS - start)))s] $label: $line"
      sed -n 's/^EVENT /          event: /p' "$WORK/verdict"
      case $verdict in
        STABLE) return 0 ;;
        FAIL) WAIT_REASON=${line##* -- }; return 1 ;;
      esac
    fi
    if [ $((SECONDS - start)) -ge "$timeout" ]; then
      WAIT_REASON="not stable after ${timeout}s (timeout)"
      return 1
    fi
    sleep "$POLL_INTERVAL"
  done
}

# ---------------------------------------------------------------------------------------------- already there?
if [ "$SERVICE_FOUND" = 1 ] && [ "$PREV_IMAGE" = "$NEW_IMAGE" ] && [ "$FORCE" = 0 ]; then
  step "Nothing to deploy"
  say "  $FAMILY:$PREV_REV already runs $NEW_IMAGE (--force registers a new revision anyway)"
  if wait_stable "$PREV_TD" "$TIMEOUT" "$FAMILY:$PREV_REV"; then
    say ""
    say "SUCCESS: $CLUSTER/$SERVICE already stable on $FAMILY:$PREV_REV, image $NEW_IMAGE (tag $TAG); nothing changed"
    exit 0
  fi
  die "$CLUSTER/$SERVICE already runs this image but is not stable: $WAIT_REASON (nothing was changed)"
fi

# ---------------------------------------------------------------------------------------------- new revision
step "Register a new revision of $FAMILY (only the image of container $CONTAINER changes)"
say "  $PREV_IMAGE"
say "  -> $NEW_IMAGE"
if [ "$DRY_RUN" = 1 ]; then
  change awscli ecs register-task-definition \
    --cli-input-json "file://<$PREV_TD without its read-only fields, image replaced>"
  change awscli ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "<the new revision's ARN>"
  say "  [dry-run] then: poll aws --region $REGION ecs describe-services --cluster $CLUSTER --services $SERVICE" \
      "every ${POLL_INTERVAL}s for up to ${TIMEOUT}s; on failure or timeout:" \
      "aws --region $REGION ecs update-service --cluster $CLUSTER --service $SERVICE --task-definition $PREV_TD"
  say ""
  say "DRY RUN complete: nothing was changed."
  exit 0
fi
jsonhelper derive "$WORK/td.json" "$CONTAINER" "$NEW_IMAGE" "$WORK/new-td.json"
run awscli ecs register-task-definition --cli-input-json "file://$WORK/new-td.json" >"$WORK/registered.json" \
  || die "register-task-definition failed; the service was not changed"
NEW_TD=$(jsonhelper get "$WORK/registered.json" taskDefinition taskDefinitionArn)
NEW_REV=${NEW_TD##*:}
say "  registered $FAMILY:$NEW_REV"

# ---------------------------------------------------------------------------------------------- roll out
step "Update $CLUSTER/$SERVICE to $FAMILY:$NEW_REV"
on_interrupt() {
  printf '\ndeploy.sh: interrupted while %s/%s was rolling out %s:%s (previous: %s:%s).\n' \
    "$CLUSTER" "$SERVICE" "$FAMILY" "$NEW_REV" "$FAMILY" "$PREV_REV" >&2
  printf '  To roll back by hand: aws --region %s ecs update-service --cluster %s --service %s --task-definition %s\n' \
    "$REGION" "$CLUSTER" "$SERVICE" "$PREV_TD" >&2
  exit 130
}
trap on_interrupt INT TERM
run awscli ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$NEW_TD" >/dev/null \
  || die "update-service failed; the service stays on $FAMILY:$PREV_REV ($FAMILY:$NEW_REV is registered but unused)"

step "Wait until $CLUSTER/$SERVICE is stable (timeout ${TIMEOUT}s, polling every ${POLL_INTERVAL}s)"
if wait_stable "$NEW_TD" "$TIMEOUT" "$FAMILY:$NEW_REV"; then
  say ""
  say "SUCCESS: $CLUSTER/$SERVICE is stable on $FAMILY:$NEW_REV (was $FAMILY:$PREV_REV), image $NEW_IMAGE (tag $TAG)"
  exit 0
fi
FAIL_REASON=$WAIT_REASON
say "  $FAMILY:$NEW_REV failed: $FAIL_REASON"

step "Roll back $CLUSTER/$SERVICE to $FAMILY:$PREV_REV"
if ! run awscli ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$PREV_TD" >/dev/null; then
  printf '\nFAILED: %s:%s did not become stable (%s) and the rollback call to %s:%s failed: the service needs a human.\n' \
    "$FAMILY" "$NEW_REV" "$FAIL_REASON" "$FAMILY" "$PREV_REV" >&2
  exit 4
fi
say "  rollback requested: $CLUSTER/$SERVICE set to $FAMILY:$PREV_REV"
if wait_stable "$PREV_TD" "$ROLLBACK_TIMEOUT" "rollback to $FAMILY:$PREV_REV"; then
  printf '\nFAILED: %s:%s (image %s) did not become stable: %s. Rolled back to %s:%s, which is stable.\n' \
    "$FAMILY" "$NEW_REV" "$NEW_IMAGE" "$FAIL_REASON" "$FAMILY" "$PREV_REV" >&2
  exit 3
fi
printf '\nFAILED: %s:%s did not become stable (%s); rolled back to %s:%s, but that is not stable either (%s). The service needs a human: aws --region %s ecs describe-services --cluster %s --services %s\n' \
  "$FAMILY" "$NEW_REV" "$FAIL_REASON" "$FAMILY" "$PREV_REV" "$WAIT_REASON" "$REGION" "$CLUSTER" "$SERVICE" >&2
exit 4
