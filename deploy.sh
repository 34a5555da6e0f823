#!/usr/bin/env bash
# deploy.sh: build Ritual Roast, push the image to ECR, run the migrations, roll the ECS service onto the new
# image, wait until ECS reports our deployment done, roll back when it is not. One command, safe to re-run.
# Run `./deploy.sh --help`; details in docs/deploy.md.
# shellcheck disable=SC2317  # trap handlers look unreachable to shellcheck
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEFAULT_BINARY=target/x86_64-unknown-linux-musl/release/ritual-roast
PROTECT_PREFIX=deployed-        # ECR tags with this prefix are never expired (lifecycle rule 1)
MIGRATE_STARTED_BY=rr-deploy-migrate

usage() {
  cat <<EOF
Usage: ./deploy.sh [options]

Build the static binary, build the FROM-scratch image for linux/amd64, push it to ECR (tag = git short sha),
register a new task-definition revision with only the container image changed, run its migrations as a one-off
ECS task, update the ECS service, follow the deployment that update returns until ECS reports it COMPLETED, and
roll back to the previous revision when it fails (unless ECS already did: its circuit breaker, or one of the
service's deployment alarms going into ALARM, which deploy.sh names).

Options (flag, environment variable, default):
  --cluster NAME          RR_CLUSTER           ritual-roast
  --service NAME          RR_SERVICE           ritual-roast
  --region REGION         AWS_REGION           us-east-1 (AWS_DEFAULT_REGION is used when AWS_REGION is unset)
  --repository NAME       RR_ECR_REPOSITORY    ritual-roast   ECR repository (created when missing)
  --container NAME        RR_CONTAINER         ritual-roast   container in the task definition to update
  --timeout SECONDS       RR_TIMEOUT           1200           wait for the new revision to become stable (with
                                                             deployment alarms ECS adds a bake time after the
                                                             rollout: docs/operations.md)
  --rollback-timeout SEC  RR_ROLLBACK_TIMEOUT  = --timeout    wait for the rolled-back revision
  --migrate-timeout SEC   RR_MIGRATE_TIMEOUT   900            wait for the migration task to finish
  --poll-interval SEC     RR_POLL_INTERVAL     10             seconds between describe-services polls
  --keep-images N         RR_ECR_KEEP_IMAGES   30             ECR lifecycle policy: keep the last N images
                                                             (images tagged $PROTECT_PREFIX* are never expired)
  --min-tasks N           RR_MIN_TASKS         2              tasks to start when the service has desired count 0
                                                             and no auto-scaling minimum (bootstrap mode)
  --binary PATH           RR_BINARY            (build)        use this prebuilt static binary (implies --skip-build)
  --skip-build                                               use the prebuilt binary at $DEFAULT_BINARY
  --force                                                    deploy even when the service already runs this image
  --bootstrap                                                run infra/bootstrap.sh first (RR_BOOTSTRAP_SCRIPT overrides)
  --dry-run                                                  print every docker and mutating AWS call instead of
                                                             running it (read-only AWS calls still run; with
                                                             --bootstrap, the bootstrap script's own --dry-run)
  -h, --help                                                 show this help

Other environment:
  RR_REGISTRY_HOST   push to this registry host instead of the ECR repository's host (tests, mirrors)
  AWS_PROFILE, AWS_ENDPOINT_URL, ...   honoured by the AWS CLI as usual

Exit status:
  0    deployed (ECS reports our deployment COMPLETED), or already deployed
  1    stopped before the service was changed: preflight, build, wrong binary (dynamic, not x86-64), push,
       register, the migration task failed, or the update-service call itself failed
  2    usage error
  3    the new revision failed; the service is back on the previous revision, which is stable (rolled back by
       ECS's circuit breaker, or by deploy.sh when ECS did not)
  4    the new revision failed and the rollback did not become stable either: the service needs a human
  5    superseded: someone else started a newer deployment while we waited; nothing was rolled back
  6    another deployment holds the service (deploy lock held, or a deployment IN_PROGRESS); nothing changed
  7    a deployment alarm failed the new revision (a CloudWatch alarm of the service went into ALARM while it
       rolled out or baked; the message names it); the service is back on the previous revision, which is
       stable (rolled back by ECS, or by deploy.sh when ECS did not)
  130  interrupted (the rollback command is printed)
EOF
}

# ---------------------------------------------------------------------------------------------- settings
CLUSTER=${RR_CLUSTER:-ritual-roast}
SERVICE=${RR_SERVICE:-ritual-roast}
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
REPOSITORY=${RR_ECR_REPOSITORY:-ritual-roast}
CONTAINER=${RR_CONTAINER:-ritual-roast}
TIMEOUT=${RR_TIMEOUT:-1200}
ROLLBACK_TIMEOUT=${RR_ROLLBACK_TIMEOUT:-}
MIGRATE_TIMEOUT=${RR_MIGRATE_TIMEOUT:-900}
POLL_INTERVAL=${RR_POLL_INTERVAL:-10}
KEEP_IMAGES=${RR_ECR_KEEP_IMAGES:-30}
MIN_TASKS=${RR_MIN_TASKS:-2}
BINARY=${RR_BINARY:-}
REGISTRY_HOST_OVERRIDE=${RR_REGISTRY_HOST:-}
BOOTSTRAP_SCRIPT=${RR_BOOTSTRAP_SCRIPT:-$SCRIPT_DIR/infra/bootstrap.sh}
SKIP_BUILD=0
[ -n "$BINARY" ] && SKIP_BUILD=1
DEPLOY_ALARMS=()
DRY_RUN=0
FORCE=0
BOOTSTRAP=0

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
warn() { printf 'deploy.sh: WARNING: %s\n' "$*" >&2; }
die() { printf 'deploy.sh: error: %s\n' "$*" >&2; exit 1; }
die_with() { local code=$1; shift; printf 'deploy.sh: %s\n' "$*" >&2; exit "$code"; }
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
    --migrate-timeout) need_value "$@"; MIGRATE_TIMEOUT=$2; shift 2 ;;
    --poll-interval) need_value "$@"; POLL_INTERVAL=$2; shift 2 ;;
    --keep-images) need_value "$@"; KEEP_IMAGES=$2; shift 2 ;;
    --min-tasks) need_value "$@"; MIN_TASKS=$2; shift 2 ;;
    --binary) need_value "$@"; BINARY=$2; SKIP_BUILD=1; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --force) FORCE=1; shift ;;
    --bootstrap) BOOTSTRAP=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) usage_error "unknown argument: $arg" ;;
  esac
done
ROLLBACK_TIMEOUT=${ROLLBACK_TIMEOUT:-$TIMEOUT}
for pair in "timeout:$TIMEOUT" "rollback-timeout:$ROLLBACK_TIMEOUT" "migrate-timeout:$MIGRATE_TIMEOUT" \
            "poll-interval:$POLL_INTERVAL" "keep-images:$KEEP_IMAGES" "min-tasks:$MIN_TASKS"; do
  case ${pair#*:} in ''|*[!0-9]*) usage_error "--${pair%%:*} must be a whole number, got '${pair#*:}'" ;; esac
done
[ "$POLL_INTERVAL" -ge 1 ] || POLL_INTERVAL=1
[ "$KEEP_IMAGES" -ge 1 ] || usage_error "--keep-images must be at least 1"
[ "$MIN_TASKS" -ge 1 ] || usage_error "--min-tasks must be at least 1"
for pair in "cluster:$CLUSTER" "service:$SERVICE" "region:$REGION" "repository:$REPOSITORY" "container:$CONTAINER"; do
  [ -n "${pair#*:}" ] || usage_error "--${pair%%:*} must not be empty"
done
if [ "$SKIP_BUILD" = 1 ] && [ -z "$BINARY" ]; then BINARY=$SCRIPT_DIR/$DEFAULT_BINARY; fi
if [ -n "$BINARY" ] && [ "${BINARY#/}" = "$BINARY" ]; then BINARY=$PWD/$BINARY; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rr-deploy.XXXXXX")
LOCK_HELD=0
cleanup() {
  [ "$LOCK_HELD" = 0 ] || release_lock
  rm -rf "$WORK"
}
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
join_by() { local sep=$1 out='' x; shift; for x in "$@"; do out+=${out:+$sep}$x; done; printf '%s' "$out"; }
elapsed() { printf '%4d' $((SECONDS - $1)); }

# The embedded Python helper (JSON handling without jq): jsonhelper SUBCOMMAND args...
IFS= read -r -d '' PYHELPER <<'PY' || true
import datetime, json, struct, sys

def load(path):
    with open(path) as f:
        return json.load(f)

def short(arn):
    return (arn or "?").rsplit("/", 1)[-1]

def when(v):
    """createdAt as the CLI prints it (epoch seconds, or ISO 8601 with CLI v2) -> epoch seconds."""
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return datetime.datetime.fromisoformat(str(v).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0

def iso(v):
    return datetime.datetime.fromtimestamp(when(v), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")

def identity(text):
    d = json.loads(text)
    print(d["Account"], d["Arn"])

def service(path):
    svcs = [s for s in load(path).get("services", []) if s.get("status") == "ACTIVE"]
    return svcs[0] if svcs else None

def service_td(path):
    s = service(path)
    print(s["taskDefinition"] if s else "")

def desired(path):
    print(service(path).get("desiredCount", 0))

def breaker(path):
    # true when ECS rolls a failed deployment back by itself: its circuit breaker, or its deployment alarms,
    # with rollback on
    conf = service(path).get("deploymentConfiguration") or {}
    cb = conf.get("deploymentCircuitBreaker") or {}
    al = conf.get("alarms") or {}
    print("true" if (cb.get("enable") and cb.get("rollback")) or (al.get("enable") and al.get("rollback")) else "false")

def alarm_names(path):
    # the service's deployment alarms (deploymentConfiguration.alarms), one per line, when they are enabled
    al = (service(path).get("deploymentConfiguration") or {}).get("alarms") or {}
    if al.get("enable"):
        for name in al.get("alarmNames") or []:
            print(name)

def in_alarm(path):
    # the alarms of describe-alarms output whose state is ALARM (filtered here too: not every endpoint filters)
    d = load(path)
    for a in (d.get("MetricAlarms") or []) + (d.get("CompositeAlarms") or []):
        if a.get("StateValue") == "ALARM":
            print(a["AlarmName"])

def alarm_reasons(path, before_path):
    # "name: why CloudWatch says it is in ALARM" for each alarm in ALARM in describe-alarms output; those that
    # were in ALARM before the deploy (listed in before_path) are marked as such: ECS did not act on them
    try:
        with open(before_path) as f:
            before = {x.strip() for x in f}
    except OSError:
        before = set()
    d = load(path)
    for a in (d.get("MetricAlarms") or []) + (d.get("CompositeAlarms") or []):
        if a.get("StateValue") == "ALARM":
            print("%s: %s%s" % (a["AlarmName"], a.get("StateReason") or "in ALARM",
                                " (already in ALARM when the deploy started)" if a["AlarmName"] in before else ""))

def alarm_cause(path, dep_id, other_id, created, configured_path, before_path, now_path):
    # Why ECS failed deployment dep_id: "alarm" (a deployment alarm), "breaker" (the circuit breaker) or "unknown",
    # then the alarm names, comma-separated. ECS says which in the failed deployment's rolloutStateReason, in the
    # rollback deployment's and in the service events; the configured alarms found in those texts name it, and
    # so does CloudWatch: configured alarms in ALARM now that were not when the deploy started (ECS ignores an
    # alarm already in ALARM when a deployment starts).
    s = service(path) or {}
    deps = {d.get("id"): d for d in s.get("deployments") or []}
    texts = [str((deps.get(i) or {}).get("rolloutStateReason") or "") for i in (dep_id, other_id) if i]
    for e in s.get("events") or []:
        msg = str(e.get("message", ""))
        ours = dep_id in msg or (other_id and other_id in msg)
        if ours or (when(e.get("createdAt", 0)) >= float(created) - 1 and "alarm" in msg.lower()):
            texts.append(msg)
    def lines(p):
        try:
            with open(p) as f:
                return [x.strip() for x in f if x.strip()]
        except OSError:
            return []
    configured, before, now = lines(configured_path), set(lines(before_path)), lines(now_path)
    text = " ".join(texts)
    named = [n for n in configured if n in text]
    fresh = [n for n in now if n not in before and n not in named and (n in configured or not configured)]
    if "alarm" in text.lower() or (fresh and "circuit breaker" not in text.lower()):
        print("alarm")
    elif "circuit breaker" in text.lower():
        print("breaker")
    else:
        print("unknown")
    print(", ".join(named + fresh))

def describe_dep(d):
    return "deployment %s (%s, %s, running %s/%s, started %s)" % (
        d.get("id"), short(d.get("taskDefinition")), d.get("rolloutState") or d.get("status"),
        d.get("runningCount", 0), d.get("desiredCount", 0), iso(d.get("createdAt", 0)))

def busy(path):
    # Deployments ECS is still rolling out: someone else's deploy (or an abandoned one) owns the service.
    for d in service(path).get("deployments") or []:
        if d.get("rolloutState") == "IN_PROGRESS":
            print(describe_dep(d))

def primary(path):
    deps = service(path).get("deployments") or []
    p = next((d for d in deps if d.get("status") == "PRIMARY"), None)
    print("%s %s" % (p["id"], when(p.get("createdAt"))) if p else "")

def our_deployment(path, td):
    # update-service answers with the service, including the deployment it just started for td.
    deps = [d for d in load(path)["service"].get("deployments") or [] if d.get("taskDefinition") == td]
    deps.sort(key=lambda d: (d.get("status") == "PRIMARY", when(d.get("createdAt"))), reverse=True)
    print("%s %s" % (deps[0]["id"], when(deps[0].get("createdAt"))) if deps else "")

def run_task_input(path, td, container, out):
    # The migration task: the new revision, command "migrate", in the service's own network (subnets, security
    # groups: the same route to RDS and Secrets Manager) and launch type.
    s = service(path)
    req = {"cluster": s.get("clusterArn"), "taskDefinition": td, "count": 1, "startedBy": "rr-deploy-migrate",
           "overrides": {"containerOverrides": [{"name": container, "command": ["migrate"]}]}}
    if s.get("networkConfiguration"):
        req["networkConfiguration"] = s["networkConfiguration"]
    if s.get("capacityProviderStrategy"):
        req["capacityProviderStrategy"] = s["capacityProviderStrategy"]
    else:
        req["launchType"] = s.get("launchType") or "FARGATE"
    if s.get("platformVersion"):
        req["platformVersion"] = s["platformVersion"]
    with open(out, "w") as f:
        json.dump({k: v for k, v in req.items() if v is not None}, f)

def task_arns(path):
    for t in load(path).get("tasks") or []:
        print(t["taskArn"])

def task_status(path, container):
    # "<lastStatus> <exit code or -> " for the one task in describe-tasks output
    t = (load(path).get("tasks") or [{}])[0]
    c = next((c for c in t.get("containers") or [] if c.get("name") == container), {})
    code = c.get("exitCode")
    print(t.get("lastStatus", "UNKNOWN"), "-" if code is None else code)

def explain(path, tdpath, container):
    # One line per stopped task (why ECS stopped it, the container's exit code and reason), then
    # "LOG group stream" for each task whose container logs to CloudWatch (awslogs).
    td = load(tdpath)
    td = td.get("taskDefinition", td)
    cdef = next((c for c in td.get("containerDefinitions", []) if c.get("name") == container), {})
    opts = (cdef.get("logConfiguration") or {}).get("options") or {}
    logs = (cdef.get("logConfiguration") or {}).get("logDriver") == "awslogs" and opts.get("awslogs-stream-prefix")
    for t in load(path).get("tasks") or []:
        tid = short(t["taskArn"])
        parts = ["task %s: %s" % (tid, t.get("stoppedReason") or t.get("lastStatus"))]
        for c in t.get("containers") or []:
            p = "container %s: exit code %s" % (c.get("name"), "none" if c.get("exitCode") is None else c["exitCode"])
            if c.get("reason"):
                p += " (%s)" % c["reason"]
            parts.append(p)
        print("INFO " + "; ".join(parts))
        if logs:
            print("LOG %s %s/%s/%s" % (opts.get("awslogs-group"), opts["awslogs-stream-prefix"], container, tid))

def log_lines(path):
    for e in load(path).get("events") or []:
        print(str(e.get("message", "")).rstrip("\n"))

def td_info(path, name):
    td = load(path)["taskDefinition"]
    c = next((c for c in td["containerDefinitions"] if c["name"] == name), None)
    if c is None:
        names = ", ".join(c["name"] for c in td["containerDefinitions"])
        sys.exit("container %r is not in %s (containers: %s); use --container" % (name, td["taskDefinitionArn"], names))
    # The image runs as uid 10001 and listens on PORT (8080 in the image). A port below 1024 would need
    # net.ipv4.ip_unprivileged_port_start lowered, which Fargate is not known to honour: refuse, do not hope.
    ports = [m.get("containerPort") for m in c.get("portMappings", []) if m.get("containerPort")]
    env = {e["name"]: e["value"] for e in c.get("environment", [])}
    low = [p for p in ports if p < 1024]
    if low:
        sys.exit("container %s of %s maps port %s: a non-root process may bind it only where "
                 "net.ipv4.ip_unprivileged_port_start is lowered, which Fargate does not guarantee. The app "
                 "listens on 8080: update the stack with the current infra/ritual-roast.yaml (infra/bootstrap.sh), "
                 "which maps 8080 and points the target group there (see docs/deploy.md)"
                 % (name, short(td["taskDefinitionArn"]), low[0]))
    port = env.get("PORT", "8080")
    if ports and str(ports[0]) != str(port):
        sys.exit("container %s of %s maps port %s but the app listens on PORT=%s: every task would fail its "
                 "health checks; fix the task definition (infra/ritual-roast.yaml ContainerPort)"
                 % (name, short(td["taskDefinitionArn"]), ports[0], port))
    arch = (td.get("runtimePlatform") or {}).get("cpuArchitecture") or "X86_64"
    print(td["family"], td["revision"], arch, c["image"])

def repo_info(path):
    r = load(path)["repositories"][0]
    print(r["repositoryUri"], str(r.get("imageScanningConfiguration", {}).get("scanOnPush", False)).lower(),
          r.get("imageTagMutability", "MUTABLE"))

PROTECT = {"rulePriority": 1, "description": "never expire images deploy.sh deployed (live, previous, older "
           "revisions)", "selection": {"tagStatus": "tagged", "tagPrefixList": ["deployed-"],
           "countType": "imageCountMoreThan", "countNumber": 10000}, "action": {"type": "expire"}}

def lifecycle(path, keep):
    # Prints the lifecycle policy to put, or nothing when the current one already protects deployed-*.
    # ECR: an image matched by a rule is never expired by a rule of lower priority, so rule 1 keeps every
    # deployed-* image (up to 10 000 of them) out of reach of the "keep the last N" rule.
    rules = []
    if path:
        text = load(path).get("lifecyclePolicyText") or "{}"
        rules = json.loads(text).get("rules", [])
        for r in sorted(rules, key=lambda r: r["rulePriority"]):
            sel = r.get("selection", {})
            if "deployed-" in (sel.get("tagPrefixList") or []):
                return
            if sel.get("tagStatus") == "any":
                break
    if not rules:
        rules = [{"rulePriority": 2, "description": "keep the last %s images" % keep,
                  "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": int(keep)},
                  "action": {"type": "expire"}}]
    else:
        for r in rules:
            r["rulePriority"] += 1
    print(json.dumps({"rules": [PROTECT] + sorted(rules, key=lambda r: r["rulePriority"])}))

def get(path, *keys):
    d = load(path)
    for k in keys:
        d = d[int(k)] if isinstance(d, list) else d[k]
    print(d)

ELF_MACHINES = {62: "x86-64", 183: "aarch64", 3: "i386", 40: "arm", 243: "riscv"}
WANT_MACHINE = {"X86_64": 62, "ARM64": 183}

def elf_check(path, arch):
    # A FROM-scratch image has no dynamic loader and no libc: only a static ELF can run there; and Fargate runs
    # the task definition's CPU architecture only (an Apple-silicon build would be aarch64).
    with open(path, "rb") as f:
        h = f.read(64)
        if len(h) < 64 or h[:4] != b"\x7fELF" or h[4] != 2:
            sys.exit("%s is not a 64-bit ELF executable" % path)
        machine, = struct.unpack_from("<H", h, 18)
        want = WANT_MACHINE.get(arch, 62)
        if machine != want:
            sys.exit("%s is built for %s (ELF machine %d) but the task definition runs %s (%s): build for "
                     "the task's architecture (cargo build --release --target x86_64-unknown-linux-musl; on an "
                     "Apple-silicon Mac, in an amd64 container or on an x86-64 machine)"
                     % (path, ELF_MACHINES.get(machine, "machine %d" % machine), machine, arch,
                        ELF_MACHINES.get(want)))
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            if struct.unpack("<I", f.read(4))[0] == 3:  # PT_INTERP
                sys.exit("%s is dynamically linked (it has an ELF interpreter); a FROM scratch image needs a "
                         "static binary (target x86_64-unknown-linux-musl)" % path)
    print(ELF_MACHINES.get(machine))

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

def verdict(path, dep_id, created, prev_td, seen_path, breaker_on):
    # Judges ONE deployment, the one update-service returned (dep_id), never "whatever the service runs now":
    #   STABLE        ours is PRIMARY, COMPLETED, running == desired
    #   WAIT          ours is rolling out, or not visible yet (a stale read right after update-service)
    #   FAIL          ours FAILED and nothing else took over (deploy.sh rolls back)
    #   BREAKER       ours FAILED, ECS rolls back by itself (circuit breaker or deployment alarms with rollback
    #                 on), its rollback is not visible yet
    #   ECS_ROLLBACK  ours FAILED and ECS started a rollback deployment to the previous revision (why: alarm-cause)
    #   SUPERSEDED    a newer deployment, not ECS's rollback, took over: someone else deployed
    # Output: verdict; progress line (" -- reason" appended unless WAIT/STABLE); "OTHER id td" (or "OTHER");
    # then "EVENT message" lines for service events not printed yet.
    s = service(path)
    if not s:
        print("FAIL"); print("service missing -- the service is missing or not ACTIVE"); print("OTHER"); return
    deps = s.get("deployments") or []
    ours = next((d for d in deps if d.get("id") == dep_id), None)
    prim = next((d for d in deps if d.get("status") == "PRIMARY"), None)
    newer = [d for d in deps if d.get("id") != dep_id and when(d.get("createdAt")) >= float(created)]
    newer.sort(key=lambda d: when(d.get("createdAt")), reverse=True)
    events = s.get("events") or []
    # ECS reports a failed deployment it rolled back (circuit breaker: "... failed ..."; deployment alarms: "...
    # alarm ...") in the service events, and the rollback deployment's reason says "rolling back".
    rolled_back = any(dep_id in str(e.get("message")) and ("fail" in str(e.get("message")).lower()
                                                             or "alarm" in str(e.get("message")).lower())
                      for e in events)
    others = "; ".join("%s %s %s %s/%s" % (d.get("id"), d.get("status"), short(d.get("taskDefinition")),
                                             d.get("runningCount", 0), d.get("desiredCount", 0))
                       for d in deps if d.get("id") != dep_id)
    if ours:
        line = "deployment %s on %s, running %s/%s, pending %s, rollout %s" % (
            dep_id, short(ours.get("taskDefinition")), ours.get("runningCount", 0), ours.get("desiredCount", 0),
            ours.get("pendingCount", 0), ours.get("rolloutState") or "-")
        if ours.get("failedTasks"):
            line += ", failed tasks %s" % ours["failedTasks"]
    else:
        line = "deployment %s not in the service's deployments (yet)" % dep_id
    line += " | service on %s, running %s/%s%s" % (short(s.get("taskDefinition")), s.get("runningCount", 0),
                                                   s.get("desiredCount", 0), "; others: " + others if others else "")
    other = newer[0] if newer else None
    state = (ours or {}).get("rolloutState")
    v, why = "WAIT", ""
    if ours and state == "COMPLETED" and ours.get("status") == "PRIMARY":
        if ours.get("runningCount") == ours.get("desiredCount"):
            v = "STABLE"
    elif ours and state == "FAILED":
        why = "rollout FAILED: %s" % (ours.get("rolloutStateReason") or "")
        if other and other.get("taskDefinition") == prev_td and other.get("status") == "PRIMARY":
            v = "ECS_ROLLBACK"
        elif other and other.get("status") == "PRIMARY":
            v = "SUPERSEDED"
        elif breaker_on == "true":
            v = "BREAKER"
        else:
            v = "FAIL"
    elif other and other.get("status") == "PRIMARY":
        # Ours is no longer the primary deployment (or already gone) and a newer one is.
        rolling_back = "rolling back" in str(other.get("rolloutStateReason") or "").lower()
        if (rolled_back or rolling_back) and other.get("taskDefinition") == prev_td:
            v, why = "ECS_ROLLBACK", "ECS reported deployment %s failed" % dep_id
        else:
            v, why = "SUPERSEDED", "deployment %s (%s) started after ours" % (other["id"], short(other.get("taskDefinition")))
    print(v)
    print(line + (" -- " + why if why and v not in ("WAIT", "STABLE") else ""))
    print("OTHER %s %s" % (other["id"], other.get("taskDefinition")) if other else "OTHER")
    with open(seen_path) as f:
        seen = set(f.read().split())
    new = [e for e in events[:5] if e.get("id") not in seen]
    with open(seen_path, "a") as f:
        for e in new:
            f.write(e.get("id", "") + "\n")
    for e in reversed(new):
        print("EVENT " + str(e.get("message", "")).replace("\n", " "))

def lock_value(holder, host, pid, since, expires, token):
    print(json.dumps({"holder": holder, "host": host, "pid": int(pid), "since": since, "expires": int(expires),
                      "token": token}))

def lock_info(path, now):
    # "<token> <expired 0|1> <who>" from get-parameter output
    v = json.loads(load(path)["Parameter"]["Value"])
    who = "%s on %s (pid %s) since %s" % (v.get("holder"), v.get("host"), v.get("pid"), v.get("since"))
    print(v.get("token", "-"), 1 if int(v.get("expires", 0)) < int(now) else 0, who)

globals()[sys.argv[1].replace("-", "_")](*sys.argv[2:])
PY
jsonhelper() { python3 -c "$PYHELPER" "$@"; }

# ---------------------------------------------------------------------------------------------- deploy lock
# One deploy per service at a time. The lock is an SSM parameter created without --overwrite (atomic: the
# second creator gets ParameterAlreadyExists); its value names the holder. A deploy that dies without its EXIT
# trap (kill -9, a closed laptop) leaves it behind: it expires after the longest a deploy can take.
LOCK_NAME="/ritual-roast/deploy-lock/$CLUSTER/$SERVICE"
LOCK_TOKEN="$$-$RANDOM$RANDOM-$(date +%s)"
lock_holder() { # prints "<token> <expired 0|1> <who>" of the current lock, or nothing when there is none
  awscli ssm get-parameter --name "$LOCK_NAME" >"$WORK/lock.json" 2>"$WORK/lock.err" \
    || { grep -q ParameterNotFound "$WORK/lock.err" && return 0; cat "$WORK/lock.err" >&2; return 1; }
  jsonhelper lock-info "$WORK/lock.json" "$(date +%s)"
}
acquire_lock() {
  local expires value holder token expired who
  expires=$(( $(date +%s) + 3600 + MIGRATE_TIMEOUT + TIMEOUT + ROLLBACK_TIMEOUT ))
  value=$(jsonhelper lock-value "${ACCOUNT#* }" "$(hostname 2>/dev/null || echo unknown-host)" "$$" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$expires" "$LOCK_TOKEN")
  show_cmd '  +' awscli ssm put-parameter --name "$LOCK_NAME" --type String --value '<holder, host, pid, expiry>'
  if awscli ssm put-parameter --name "$LOCK_NAME" --type String --value "$value" >/dev/null 2>"$WORK/lock.err"; then
    LOCK_HELD=1; say "  deploy lock taken: $LOCK_NAME"; return 0
  fi
  grep -q ParameterAlreadyExists "$WORK/lock.err" || { cat "$WORK/lock.err" >&2
    die "cannot take the deploy lock $LOCK_NAME (ssm:PutParameter, ssm:GetParameter and ssm:DeleteParameter on it are needed)"; }
  holder=$(lock_holder) || die "cannot read the deploy lock $LOCK_NAME"
  read -r token expired who <<<"$holder"
  if [ "$expired" = 1 ]; then
    warn "the deploy lock $LOCK_NAME held by $who has expired (that deploy died without releasing it); taking it over"
    awscli ssm put-parameter --name "$LOCK_NAME" --type String --value "$value" --overwrite >/dev/null \
      || die "cannot take over the expired deploy lock $LOCK_NAME"
    LOCK_HELD=1; return 0
  fi
  die_with 6 "another deploy of $CLUSTER/$SERVICE is running: the deploy lock $LOCK_NAME is held by $who. Nothing was changed. Wait for it to finish; if that deploy is dead, remove the lock: aws --region $REGION ssm delete-parameter --name $LOCK_NAME"
}
release_lock() { # only our own lock (a taken-over expired one is not ours any more)
  local holder token
  holder=$(lock_holder 2>/dev/null) || return 0
  read -r token _ <<<"$holder"
  if [ "$token" = "$LOCK_TOKEN" ]; then
    awscli ssm delete-parameter --name "$LOCK_NAME" >/dev/null 2>&1 || warn "could not release the deploy lock $LOCK_NAME"
  fi
  LOCK_HELD=0
}

# ---------------------------------------------------------------------------------------------- preflight
trap 'exit 130' INT TERM
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
if [ "$BOOTSTRAP" = 1 ]; then
  [ -f "$BOOTSTRAP_SCRIPT" ] || die "--bootstrap: $BOOTSTRAP_SCRIPT does not exist (the infrastructure bootstrap lives in infra/); create the stack another way or drop --bootstrap"
fi

# ---------------------------------------------------------------------------------------------- lock
step "Deploy lock"
if [ "$DRY_RUN" = 1 ]; then
  holder=$(lock_holder) || holder=''
  if [ -n "$holder" ]; then warn "the deploy lock $LOCK_NAME is held by ${holder#* * } (a real run would stop here, exit 6)"
  else say "  [dry-run] would take the deploy lock $LOCK_NAME (an SSM parameter, deleted at the end)"; fi
else
  acquire_lock
fi

# ---------------------------------------------------------------------------------------------- bootstrap
if [ "$BOOTSTRAP" = 1 ]; then
  step "Bootstrap: $BOOTSTRAP_SCRIPT"
  export AWS_REGION=$REGION RR_CLUSTER=$CLUSTER RR_SERVICE=$SERVICE RR_ECR_REPOSITORY=$REPOSITORY RR_CONTAINER=$CONTAINER
  if [ "$DRY_RUN" = 1 ]; then
    # The bootstrap script has its own dry run (read-only calls run, changes printed): show its plan.
    run bash "$BOOTSTRAP_SCRIPT" --dry-run || die "$BOOTSTRAP_SCRIPT --dry-run failed"
  else
    change bash "$BOOTSTRAP_SCRIPT" || die "$BOOTSTRAP_SCRIPT failed; nothing was deployed"
  fi
fi

# ---------------------------------------------------------------------------------------------- current state
step "Current state of $CLUSTER/$SERVICE"
SERVICE_FOUND=0
PREV_TD=''
ARCH=X86_64
DESIRED=1
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
  read -r FAMILY PREV_REV ARCH PREV_IMAGE <<<"$info"
  say "  service runs $FAMILY:$PREV_REV ($ARCH); container $CONTAINER runs $PREV_IMAGE"
  # A rollout in progress belongs to someone (another deploy, the console, a stack update, an abandoned run):
  # starting ours on top would fight it. Refuse and name it.
  busy=$(jsonhelper busy "$WORK/service.json")
  if [ -n "$busy" ]; then
    [ "$DRY_RUN" = 1 ] || die_with 6 "another deployment is in progress on $CLUSTER/$SERVICE: $(tr '\n' ';' <<<"$busy" | sed 's/;$//'). Nothing was changed. Wait until ECS finishes it (aws --region $REGION ecs describe-services --cluster $CLUSTER --services $SERVICE), then run deploy.sh again."
    warn "a deployment is in progress ($busy); a real run would stop here (exit 6)"
  fi
  DESIRED=$(jsonhelper desired "$WORK/service.json")
  # Deployment alarms (deploymentConfiguration.alarms): ECS fails a deployment, and rolls it back, when one of
  # them goes into ALARM while it rolls out or bakes. ECS does not act on an alarm that is already in ALARM when
  # the deployment starts: say so now, and remember which, so a failure is blamed on the alarm that tripped.
  jsonhelper alarm-names "$WORK/service.json" >"$WORK/alarms-configured"
  if [ -s "$WORK/alarms-configured" ]; then
    mapfile -t DEPLOY_ALARMS <"$WORK/alarms-configured"
    say "  deployment alarms: $(join_by ', ' "${DEPLOY_ALARMS[@]}")"
    if run awscli cloudwatch describe-alarms --alarm-names "${DEPLOY_ALARMS[@]}" --state-value ALARM \
         >"$WORK/alarms.json" 2>"$WORK/err"; then
      jsonhelper in-alarm "$WORK/alarms.json" >"$WORK/alarms-before"
      if [ -s "$WORK/alarms-before" ]; then
        mapfile -t already <"$WORK/alarms-before"
        warn "deployment alarm(s) already in ALARM: $(join_by ', ' "${already[@]}"). ECS does not act on an alarm that is already in ALARM when a deployment starts, so they will not roll this deploy back; find out why first (docs/operations.md)"
      fi
    else
      warn "cannot read the deployment alarms ($(tr '\n' ' ' <"$WORK/err" | cut -c1-200)); cloudwatch:DescribeAlarms is needed to name an alarm that fails the deploy"
    fi
  fi
fi

# A service at desired count 0 (bootstrap mode) would "deploy" without running a single task, and ECS would
# call that COMPLETED. Scale it to the auto-scaling minimum (or --min-tasks), and say so.
SCALE_TO=''
if [ "$SERVICE_FOUND" = 1 ] && [ "$DESIRED" = 0 ]; then
  source_of_min="--min-tasks/RR_MIN_TASKS"
  SCALE_TO=$MIN_TASKS
  if run awscli application-autoscaling describe-scalable-targets --service-namespace ecs \
       --resource-ids "service/$CLUSTER/$SERVICE" --scalable-dimension ecs:service:DesiredCount \
       >"$WORK/scaling.json" 2>/dev/null; then
    min=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1])).get("ScalableTargets") or [{}]; print(t[0].get("MinCapacity") or "")' "$WORK/scaling.json")
    if [ -n "$min" ] && [ "$min" -gt 0 ]; then SCALE_TO=$min; source_of_min="the auto-scaling minimum"; fi
  fi
  say "  the service has desired count 0 (bootstrap mode): a deploy that starts no task proves nothing, so deploy.sh is setting it to $SCALE_TO ($source_of_min)"
fi

# ---------------------------------------------------------------------------------------------- build
step "Build"
case $ARCH in
  ARM64) PLATFORM=linux/arm64 ;;
  *) PLATFORM=linux/amd64 ;;
esac
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
  machine=$(jsonhelper elf-check "$BINARY" "$ARCH" 2>"$WORK/err") || die "$(cat "$WORK/err")"
  say "  binary: $BINARY ($(du -h "$BINARY" | cut -f1), static ELF, $machine)"
fi
# The image is built in a one-file context (the binary alone), whatever else the tree holds, for the task's
# platform whatever machine builds it. BuildKit (buildx) would add a provenance attestation, which turns the
# push into an image index that ECR lists as an extra untagged artifact: --provenance=false keeps a plain image.
# The legacy builder makes plain images anyway (and has no --provenance flag).
mkdir -p "$WORK/context"
[ "$DRY_RUN" = 1 ] || cp -p "$BINARY" "$WORK/context/ritual-roast"
LOCAL_IMAGE="$REPOSITORY:$TAG"
if docker buildx version >/dev/null 2>&1; then
  BUILD=(docker buildx build --platform "$PLATFORM" --provenance=false --load)
else
  BUILD=(docker build --platform "$PLATFORM")
fi
change "${BUILD[@]}" -f "$SCRIPT_DIR/Dockerfile.scratch" --build-arg BINARY=ritual-roast \
  --label "org.opencontainers.image.revision=${GIT_SHA_FULL:-unknown}" --label org.opencontainers.image.title=ritual-roast \
  -t "$LOCAL_IMAGE" "$WORK/context" || die "docker build failed"
if [ "$DRY_RUN" = 0 ]; then
  built=$(docker image inspect -f '{{.Os}}/{{.Architecture}}' "$LOCAL_IMAGE") || die "cannot inspect the image just built"
  [ "$built" = "$PLATFORM" ] || die "the image was built for $built, the task definition runs $PLATFORM"
  say "  image: $LOCAL_IMAGE ($built)"
fi

# ---------------------------------------------------------------------------------------------- ECR repository
# Immutable tags: a tag names one image for ever (a rollback by tag cannot get other bytes). The lifecycle
# policy expires old images but never one tagged deployed-*: every digest a task-definition revision of ours
# pins (the live one, the previous one, older ones) stays pullable for scale-out and rollback.
step "ECR repository $REPOSITORY"
put_lifecycle() { # current policy JSON file or ''
  local policy
  policy=$(jsonhelper lifecycle "$1" "$KEEP_IMAGES")
  if [ -z "$policy" ]; then say "  lifecycle policy protects ${PROTECT_PREFIX}* images (kept as is)"; return 0; fi
  say "  lifecycle policy: rule 1 never expires ${PROTECT_PREFIX}* images; then ${1:+the existing rules}${1:-keep the last $KEEP_IMAGES images}"
  change awscli ecr put-lifecycle-policy --repository-name "$REPOSITORY" --lifecycle-policy-text "$policy" >/dev/null \
    || die "cannot set the lifecycle policy of $REPOSITORY"
}
if run awscli ecr describe-repositories --repository-names "$REPOSITORY" >"$WORK/repo.json" 2>"$WORK/err"; then
  read -r REPO_URI SCAN MUTABILITY <<<"$(jsonhelper repo-info "$WORK/repo.json")"
  say "  exists: $REPO_URI (scan on push: $SCAN, tags: $MUTABILITY)"
  if [ "$SCAN" != true ]; then
    change awscli ecr put-image-scanning-configuration --repository-name "$REPOSITORY" \
      --image-scanning-configuration scanOnPush=true >/dev/null || die "cannot enable scan on push for $REPOSITORY"
  fi
  if [ "$MUTABILITY" != IMMUTABLE ]; then
    change awscli ecr put-image-tag-mutability --repository-name "$REPOSITORY" --image-tag-mutability IMMUTABLE >/dev/null \
      || die "cannot make the tags of $REPOSITORY immutable"
  fi
  if run awscli ecr get-lifecycle-policy --repository-name "$REPOSITORY" >"$WORK/lifecycle.json" 2>"$WORK/err"; then
    put_lifecycle "$WORK/lifecycle.json"
  else
    grep -q LifecyclePolicyNotFoundException "$WORK/err" || { cat "$WORK/err" >&2; die "cannot read the lifecycle policy of $REPOSITORY"; }
    put_lifecycle ''
  fi
else
  grep -q RepositoryNotFoundException "$WORK/err" || { cat "$WORK/err" >&2; die "cannot describe ECR repository $REPOSITORY"; }
  say "  missing: creating it (scan on push, immutable tags, lifecycle policy)"
  change awscli ecr create-repository --repository-name "$REPOSITORY" --image-tag-mutability IMMUTABLE \
    --image-scanning-configuration scanOnPush=true >"$WORK/repo.json" || die "cannot create ECR repository $REPOSITORY"
  put_lifecycle ''
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
# Tags are immutable: a rebuilt commit (same sha, other bytes) gets a timestamped tag instead of a push error.
if [ "$DRY_RUN" = 0 ] && awscli ecr describe-images --repository-name "$REPOSITORY" --image-ids "imageTag=$TAG" >/dev/null 2>&1; then
  TAG="$TAG-$(date -u +%Y%m%dT%H%M%SZ)"
  say "  tag ${TAG%-*} already exists in $REPOSITORY (immutable): tagging this image $TAG"
fi
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

# protect IMAGE@DIGEST LABEL: tags the digest deployed-<hex> in our repository, which the lifecycle policy never
# expires. Through docker (pull if needed, tag, push: the manifest only), so it works for ECR and for
# RR_REGISTRY_HOST alike. An existing deployed-<hex> tag can only name this digest: that counts as done.
protect() {
  local ref=$1 label=$2 hex protected
  case $ref in
    "$IMAGE_REPO"@sha256:*) ;;
    *) warn "the $label image $ref is not pinned by digest in $IMAGE_REPO: deploy.sh cannot keep it from expiring"; return 0 ;;
  esac
  hex=${ref##*@sha256:}
  protected="$IMAGE_REPO:$PROTECT_PREFIX$hex"
  if [ "$DRY_RUN" = 1 ]; then change docker tag "$ref" "$protected"; change docker push "$protected"; return 0; fi
  if ! docker image inspect "$ref" >/dev/null 2>&1; then
    run docker pull -q "$ref" >/dev/null 2>"$WORK/pull.err" \
      || { warn "cannot pull the $label image $ref to protect it ($(tr '\n' ' ' <"$WORK/pull.err")): it may expire"; return 0; }
  fi
  change docker tag "$ref" "$protected" || die "docker tag $protected failed"
  if change docker push "$protected" >"$WORK/protect.log" 2>&1; then
    say "  $label image protected: $protected"
  elif grep -qiE 'already exists|immutable' "$WORK/protect.log"; then
    say "  $label image already protected: $protected"
  else
    sed 's/^/    /' "$WORK/protect.log" >&2
    die "could not tag the $label image $protected; without it the lifecycle policy may expire it"
  fi
}
step "Protect the new and the previous image from expiry (tag ${PROTECT_PREFIX}<digest>)"
protect "$NEW_IMAGE" new
[ "$SERVICE_FOUND" = 0 ] || protect "$PREV_IMAGE" previous

# ---------------------------------------------------------------------------------------------- waiting
# Follows ONE deployment (its id) until ECS settles it. Sets WAIT_VERDICT (STABLE, FAIL, TIMEOUT,
# ECS_ROLLBACK, SUPERSEDED), WAIT_REASON and WAIT_OTHER ("<deployment id> <task definition>" of the deployment
# that took over, when one did). Returns 0 only for STABLE.
WAIT_VERDICT='' WAIT_REASON='' WAIT_OTHER=''
wait_deployment() { # deployment id, its createdAt (epoch), previous task definition, timeout seconds, label
  local dep=$1 created=$2 prev=$3 timeout=$4 label=$5 start=$SECONDS verdict line breaker_polls=0 cb=false
  : >"$WORK/seen-events"
  while :; do
    if ! awscli ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" >"$WORK/poll.json" 2>"$WORK/err"; then
      say "  [$(elapsed "$start")s] $label: describe-services failed: $(tr '\n' ' ' <"$WORK/err")"
    else
      cb=$(jsonhelper breaker "$WORK/poll.json" 2>/dev/null || echo false)
      jsonhelper verdict "$WORK/poll.json" "$dep" "$created" "$prev" "$WORK/seen-events" "$cb" >"$WORK/verdict"
      verdict=$(sed -n 1p "$WORK/verdict")
      line=$(sed -n 2p "$WORK/verdict")
      WAIT_OTHER=$(sed -n '3s/^OTHER *//p' "$WORK/verdict")
      say "  [$(elapsed "$start")s] $label: $line"
      sed -n 's/^EVENT /          event: /p' "$WORK/verdict"
      WAIT_REASON=${line##* -- }
      # The circuit breaker (rollback on) starts its rollback deployment as it fails ours; give a late read
      # three polls to show it before deploy.sh rolls back itself (which would be a second rollback).
      if [ "$verdict" = BREAKER ]; then
        breaker_polls=$((breaker_polls + 1))
        [ "$breaker_polls" -lt 3 ] || verdict=FAIL
      fi
      case $verdict in
        STABLE|FAIL|ECS_ROLLBACK|SUPERSEDED) WAIT_VERDICT=$verdict; [ "$verdict" = STABLE ]; return ;;
      esac
    fi
    if [ $((SECONDS - start)) -ge "$timeout" ]; then
      WAIT_VERDICT=TIMEOUT WAIT_REASON="not stable after ${timeout}s (timeout)"
      return 1
    fi
    sleep "$POLL_INTERVAL"
  done
}

# explain DEPLOYMENT-ID|TASK-ARN...: why its tasks stopped (ECS's stoppedReason, the container's exit code and
# reason) and the last lines each wrote to CloudWatch Logs, when the log group is readable.
explain() {
  local arns=() line group stream
  if [ "${1#ecs-svc/}" != "$1" ]; then
    awscli ecs list-tasks --cluster "$CLUSTER" --started-by "$1" --desired-status STOPPED \
      --query 'taskArns[:5]' --output text >"$WORK/stopped.txt" 2>"$WORK/err" \
      || { say "    (cannot list the stopped tasks of $1: $(tr '\n' ' ' <"$WORK/err"))"; return 0; }
    read -r -a arns <"$WORK/stopped.txt" || true
    [ "${arns[0]:-None}" != None ] || { say "    no stopped tasks of $1 (ECS may have started none: see the events above)"; return 0; }
  else
    arns=("$@")
  fi
  awscli ecs describe-tasks --cluster "$CLUSTER" --tasks "${arns[@]}" >"$WORK/stopped.json" 2>"$WORK/err" \
    || { say "    (cannot describe the stopped tasks: $(tr '\n' ' ' <"$WORK/err"))"; return 0; }
  jsonhelper explain "$WORK/stopped.json" "$WORK/explain-td.json" "$CONTAINER" | while read -r kind line; do
    if [ "$kind" = INFO ]; then say "    $line"; continue; fi
    read -r group stream <<<"$line"
    if awscli logs get-log-events --log-group-name "$group" --log-stream-name "$stream" --limit 20 \
         --no-start-from-head >"$WORK/logs.json" 2>"$WORK/err"; then
      say "      last log lines ($group $stream):"
      jsonhelper log-lines "$WORK/logs.json" | sed 's/^/        | /'
    else
      say "      (log stream $group $stream not readable: $(tr '\n' ' ' <"$WORK/err" | cut -c1-200))"
    fi
  done
}

# ---------------------------------------------------------------------------------------------- already there?
if [ "$SERVICE_FOUND" = 1 ] && [ "$PREV_IMAGE" = "$NEW_IMAGE" ] && [ "$FORCE" = 0 ] && [ -z "$SCALE_TO" ]; then
  step "Nothing to deploy"
  say "  $FAMILY:$PREV_REV already runs $NEW_IMAGE (--force registers a new revision anyway)"
  read -r cur_dep cur_created <<<"$(jsonhelper primary "$WORK/service.json")"
  if [ -n "$cur_dep" ] && wait_deployment "$cur_dep" "$cur_created" "$PREV_TD" "$TIMEOUT" "$FAMILY:$PREV_REV"; then
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
  change awscli ecs run-task --cluster "$CLUSTER" --task-definition "<the new revision's ARN>" --started-by "$MIGRATE_STARTED_BY" \
    --overrides "{\"containerOverrides\":[{\"name\":\"$CONTAINER\",\"command\":[\"migrate\"]}]}" \
    --network-configuration "<the service's>"
  say "  [dry-run] then: wait for the migration task to stop, require exit code 0"
  change awscli ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "<the new revision's ARN>" \
    ${SCALE_TO:+--desired-count "$SCALE_TO"}
  say "  [dry-run] then: follow the deployment update-service returns (aws --region $REGION ecs describe-services" \
      "--cluster $CLUSTER --services $SERVICE every ${POLL_INTERVAL}s, up to ${TIMEOUT}s); on failure, unless ECS" \
      "rolled back (circuit breaker, deployment alarm): aws --region $REGION ecs update-service --cluster $CLUSTER --service $SERVICE" \
      "--task-definition $PREV_TD"
  say ""
  say "DRY RUN complete: nothing was changed."
  exit 0
fi
jsonhelper derive "$WORK/td.json" "$CONTAINER" "$NEW_IMAGE" "$WORK/new-td.json"
cp "$WORK/new-td.json" "$WORK/explain-td.json"
run awscli ecs register-task-definition --cli-input-json "file://$WORK/new-td.json" >"$WORK/registered.json" \
  || die "register-task-definition failed; the service was not changed"
NEW_TD=$(jsonhelper get "$WORK/registered.json" taskDefinition taskDefinitionArn)
NEW_REV=${NEW_TD##*:}
say "  registered $FAMILY:$NEW_REV"

# ---------------------------------------------------------------------------------------------- migrations
# Migrations run once, as a one-off task of the new revision (same image, network, secret and role as the
# service), before any new task boots: the service's tasks then find nothing pending, bind at once and pass
# their health checks, instead of migrating (or waiting for the migration lock) while the ALB counts failures.
# Migrations must keep the previous revision working (expand first, contract in a later release).
step "Run the migrations: a one-off task of $FAMILY:$NEW_REV with command [migrate]"
jsonhelper run-task-input "$WORK/service.json" "$NEW_TD" "$CONTAINER" "$WORK/run-task.json"
run awscli ecs run-task --cli-input-json "file://$WORK/run-task.json" >"$WORK/migrate.json" 2>"$WORK/err" \
  || { cat "$WORK/err" >&2; die "run-task (migrations) failed; the service was not changed ($FAMILY:$NEW_REV is registered but unused)"; }
MIGRATE_TASK=$(jsonhelper task-arns "$WORK/migrate.json" | head -1)
[ -n "$MIGRATE_TASK" ] || die "run-task started no migration task: $(cat "$WORK/migrate.json"); the service was not changed"
say "  migration task ${MIGRATE_TASK##*/}"
start=$SECONDS
while :; do
  if awscli ecs describe-tasks --cluster "$CLUSTER" --tasks "$MIGRATE_TASK" >"$WORK/migrate-task.json" 2>"$WORK/err"; then
    read -r mstatus mcode <<<"$(jsonhelper task-status "$WORK/migrate-task.json" "$CONTAINER")"
    say "  [$(elapsed "$start")s] migration task: $mstatus"
    [ "$mstatus" != STOPPED ] || break
  else
    say "  [$(elapsed "$start")s] describe-tasks failed: $(tr '\n' ' ' <"$WORK/err")"
  fi
  if [ $((SECONDS - start)) -ge "$MIGRATE_TIMEOUT" ]; then
    awscli ecs stop-task --cluster "$CLUSTER" --task "$MIGRATE_TASK" --reason "deploy.sh: migration timeout" >/dev/null 2>&1 || true
    die "the migration task did not finish within ${MIGRATE_TIMEOUT}s (stopped it); the service was not changed"
  fi
  sleep "$POLL_INTERVAL"
done
if [ "$mcode" != 0 ]; then
  explain "$MIGRATE_TASK"
  die "the migration task exited with exit code $mcode (details above); the service was not changed ($FAMILY:$NEW_REV is registered but unused)"
fi
say "  migration task exited 0"

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
run awscli ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$NEW_TD" \
  ${SCALE_TO:+--desired-count "$SCALE_TO"} >"$WORK/updated.json" \
  || die "update-service failed; the service stays on $FAMILY:$PREV_REV ($FAMILY:$NEW_REV is registered but unused)"
read -r DEP DEP_CREATED <<<"$(jsonhelper our-deployment "$WORK/updated.json" "$NEW_TD")"
[ -n "$DEP" ] || die_with 4 "update-service answered without a deployment of $FAMILY:$NEW_REV; look at the service: aws --region $REGION ecs describe-services --cluster $CLUSTER --services $SERVICE"
say "  our deployment: $DEP"

step "Wait until ECS reports deployment $DEP COMPLETED (timeout ${TIMEOUT}s, polling every ${POLL_INTERVAL}s)"
if wait_deployment "$DEP" "$DEP_CREATED" "$PREV_TD" "$TIMEOUT" "$FAMILY:$NEW_REV"; then
  say ""
  say "SUCCESS: $CLUSTER/$SERVICE is stable on $FAMILY:$NEW_REV (was $FAMILY:$PREV_REV), image $NEW_IMAGE (tag $TAG)"
  exit 0
fi
FAIL_REASON=$WAIT_REASON
OTHER_DEP=${WAIT_OTHER%% *} OTHER_TD=${WAIT_OTHER#* }

if [ "$WAIT_VERDICT" = SUPERSEDED ]; then
  printf '\nSUPERSEDED: while %s:%s rolled out, someone else started deployment %s of %s; our deployment %s was superseded. deploy.sh rolled nothing back: the service is theirs now. Follow it: aws --region %s ecs describe-services --cluster %s --services %s\n' \
    "$FAMILY" "$NEW_REV" "$OTHER_DEP" "${OTHER_TD##*/}" "$DEP" "$REGION" "$CLUSTER" "$SERVICE" >&2
  exit 5
fi

# ECS failed our deployment: was it the circuit breaker or a deployment alarm? ECS's reasons and events say, and
# CloudWatch names the deployment alarms that went into ALARM since the deploy started.
CAUSE='' CAUSE_ALARMS=''
if [ "$WAIT_VERDICT" = ECS_ROLLBACK ] || [ "$WAIT_VERDICT" = FAIL ]; then
  cp "$WORK/poll.json" "$WORK/failed.json" 2>/dev/null || echo '{}' >"$WORK/failed.json"
  : >"$WORK/alarms-now"
  if [ ${#DEPLOY_ALARMS[@]} -gt 0 ] && run awscli cloudwatch describe-alarms --alarm-names "${DEPLOY_ALARMS[@]}" \
       --state-value ALARM >"$WORK/alarms-now.json" 2>/dev/null; then
    jsonhelper in-alarm "$WORK/alarms-now.json" >"$WORK/alarms-now"
  fi
  { read -r CAUSE || true; read -r CAUSE_ALARMS || true; } < <(jsonhelper alarm-cause "$WORK/failed.json" "$DEP" "$OTHER_DEP" \
    "$DEP_CREATED" "$WORK/alarms-configured" "$WORK/alarms-before" "$WORK/alarms-now" 2>/dev/null || echo unknown)
fi
if [ "$CAUSE" = alarm ]; then
  ALARMS_SAID=${CAUSE_ALARMS:-"one of $(join_by ', ' "${DEPLOY_ALARMS[@]}")"}
  step "Why $FAMILY:$NEW_REV failed: deployment alarm $ALARMS_SAID went into ALARM ($FAIL_REASON)"
  if [ -s "$WORK/alarms-now" ]; then
    jsonhelper alarm-reasons "$WORK/alarms-now.json" "$WORK/alarms-before" | sed 's/^/    alarm /'
  fi
  say "    what the alarm means and what to check first: docs/operations.md"
else
  step "Why $FAMILY:$NEW_REV failed: $FAIL_REASON"
fi
explain "$DEP"

if [ "$WAIT_VERDICT" = ECS_ROLLBACK ]; then
  # ECS already started the rollback (circuit breaker, or deployment alarm with rollback on): follow it; a
  # second update-service would start another rollback deployment on top of ECS's.
  if [ "$CAUSE" = alarm ]; then
    ROLLER="ECS (deployment alarm $ALARMS_SAID)"
    step "Deployment alarm $ALARMS_SAID: ECS failed $FAMILY:$NEW_REV and rolled $CLUSTER/$SERVICE back to $FAMILY:$PREV_REV (deployment $OTHER_DEP)"
  else
    ROLLER="the circuit breaker"
    step "ECS's deployment circuit breaker rolled $CLUSTER/$SERVICE back to $FAMILY:$PREV_REV (deployment $OTHER_DEP)"
  fi
  if wait_deployment "$OTHER_DEP" "$DEP_CREATED" "$NEW_TD" "$ROLLBACK_TIMEOUT" "rollback to $FAMILY:$PREV_REV"; then
    if [ "$CAUSE" = alarm ]; then
      printf '\nFAILED (deployment alarm): %s:%s (image %s) set off the deployment alarm %s: %s. ECS rolled back to %s:%s, which is stable. What the alarm means and what to check: docs/operations.md\n' \
        "$FAMILY" "$NEW_REV" "$NEW_IMAGE" "$ALARMS_SAID" "${FAIL_REASON%.}" "$FAMILY" "$PREV_REV" >&2
      exit 7
    fi
    printf '\nFAILED: %s:%s (image %s) did not become stable: %s. ECS'"'"'s circuit breaker rolled back to %s:%s, which is stable.\n' \
      "$FAMILY" "$NEW_REV" "$NEW_IMAGE" "$FAIL_REASON" "$FAMILY" "$PREV_REV" >&2
    exit 3
  fi
  printf '\nFAILED: %s:%s did not become stable (%s); %s rolled back to %s:%s, but that is not stable either (%s). The service needs a human: aws --region %s ecs describe-services --cluster %s --services %s\n' \
    "$FAMILY" "$NEW_REV" "$FAIL_REASON" "$ROLLER" "$FAMILY" "$PREV_REV" "$WAIT_REASON" "$REGION" "$CLUSTER" "$SERVICE" >&2
  exit 4
fi

step "Roll back $CLUSTER/$SERVICE to $FAMILY:$PREV_REV"
if ! run awscli ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$PREV_TD" >"$WORK/rollback.json"; then
  printf '\nFAILED: %s:%s did not become stable (%s) and the rollback call to %s:%s failed: the service needs a human.\n' \
    "$FAMILY" "$NEW_REV" "$FAIL_REASON" "$FAMILY" "$PREV_REV" >&2
  exit 4
fi
read -r RB_DEP RB_CREATED <<<"$(jsonhelper our-deployment "$WORK/rollback.json" "$PREV_TD")"
say "  rollback requested: $CLUSTER/$SERVICE set to $FAMILY:$PREV_REV (deployment ${RB_DEP:-?})"
if [ -n "$RB_DEP" ] && wait_deployment "$RB_DEP" "$RB_CREATED" "$NEW_TD" "$ROLLBACK_TIMEOUT" "rollback to $FAMILY:$PREV_REV"; then
  if [ "$CAUSE" = alarm ]; then
    printf '\nFAILED (deployment alarm): %s:%s (image %s) set off the deployment alarm %s: %s. ECS failed the deployment without rolling back; deploy.sh rolled back to %s:%s, which is stable. What the alarm means and what to check: docs/operations.md\n' \
      "$FAMILY" "$NEW_REV" "$NEW_IMAGE" "$ALARMS_SAID" "${FAIL_REASON%.}" "$FAMILY" "$PREV_REV" >&2
    exit 7
  fi
  printf '\nFAILED: %s:%s (image %s) did not become stable: %s. Rolled back to %s:%s, which is stable.\n' \
    "$FAMILY" "$NEW_REV" "$NEW_IMAGE" "$FAIL_REASON" "$FAMILY" "$PREV_REV" >&2
  exit 3
fi
printf '\nFAILED: %s:%s did not become stable (%s); rolled back to %s:%s, but that is not stable either (%s). The service needs a human: aws --region %s ecs describe-services --cluster %s --services %s\n' \
  "$FAMILY" "$NEW_REV" "$FAIL_REASON" "$FAMILY" "$PREV_REV" "$WAIT_REASON" "$REGION" "$CLUSTER" "$SERVICE" >&2
exit 4
