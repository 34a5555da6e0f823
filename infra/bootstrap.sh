#!/usr/bin/env bash
# infra/bootstrap.sh: create or update the Ritual Roast CloudFormation stack (infra/ritual-roast.yaml) with
# `aws cloudformation deploy`, print its events while it runs, wait for the ECS service, print the outputs.
# Safe to re-run. `./deploy.sh --bootstrap` calls it. Run `infra/bootstrap.sh --help`; details in infra/README.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PLACEHOLDER_TAG=bootstrap-placeholder   # the template's image in bootstrap mode (never pulled: 0 tasks)

usage() {
  cat <<EOF
Usage: infra/bootstrap.sh [options]

Create or update the CloudFormation stack of infra/ritual-roast.yaml (VPC, NAT, ALB, RDS MySQL with an
RDS-managed rotating secret, ECR, ECS Fargate cluster and service, auto scaling) with
'aws cloudformation deploy', wait until it is done and the service is stable, and print the stack outputs.

Options (flag, environment variable, default):
  --stack-name NAME          RR_STACK_NAME          ritual-roast
  --region REGION            AWS_REGION             us-east-1 (AWS_DEFAULT_REGION when AWS_REGION is unset)
  --cluster NAME             RR_CLUSTER             ritual-roast  ECS cluster (ClusterName)
  --service NAME             RR_SERVICE             ritual-roast  ECS service, task family, log group /ecs/NAME
  --repository NAME          RR_ECR_REPOSITORY      ritual-roast  ECR repository (RepositoryName)
  --container NAME           RR_CONTAINER           ritual-roast  container name (ContainerName)
  --image-uri URI            RR_IMAGE_URI           see "Image" below (ImageUri)
  --certificate-arn ARN      RR_CERTIFICATE_ARN     none = HTTP only; set = HTTPS + redirect (CertificateArn)
  --min-tasks N              RR_MIN_TASKS           2             auto scaling minimum (MinTasks)
  --max-tasks N              RR_MAX_TASKS           6             auto scaling maximum (MaxTasks)
  --nat-gateways one|per-az  RR_NAT_GATEWAYS        one           (NatGateways)
  --db-multi-az true|false   RR_DB_MULTI_AZ         true          (DBMultiAZ)
  --db-instance-class CLASS  RR_DB_INSTANCE_CLASS   db.t4g.micro  (DBInstanceClass)
  --parameter KEY=VALUE      (repeatable)           any other template parameter, e.g. TaskCpu=512
  --template FILE            RR_TEMPLATE            infra/ritual-roast.yaml
  --service-timeout SEC      RR_SERVICE_TIMEOUT     900           wait this long for the service to be stable
  --poll-interval SEC        RR_POLL_INTERVAL       10            seconds between progress polls
  --no-wait-service                                               do not wait for the ECS service afterwards
  --dry-run                                                       print the AWS calls that would change
                                                                  something instead of running them
                                                                  (read-only lookups still run)
  -h, --help                                                      show this help

Parameters: a parameter given by flag, environment or --parameter is passed to the stack; any other keeps its
current value on an existing stack and the template default on a new one (the defaults above are the
template's). The names (--cluster, --service, --repository, --container) are passed whenever they are set, as
deploy.sh does.

Image: --image-uri/RR_IMAGE_URI if given; otherwise, on an existing stack, the image the ECS service runs now
(what deploy.sh rolled out last), so a stack update never rolls the service back to an older image; otherwise
none: bootstrap mode, in which the service exists with 0 tasks and no auto scaling. Then ./deploy.sh pushes an
image and rolls the service onto it, and running this script again (or ./deploy.sh --bootstrap) picks that image
up, turns on auto scaling and starts MinTasks tasks.
When a stack update fails, CloudFormation's rollback can put the service back on the stack's previous (older)
image; this script then puts the service back on the task definition it ran before the update, and exits 1.

Other environment: AWS_PROFILE, AWS_ENDPOINT_URL, ... are honoured by the AWS CLI as usual.
Exit status: 0 stack deployed (or unchanged) and service stable; 1 failure; 2 usage error; 130 interrupted.
EOF
}

# ---------------------------------------------------------------------------------------------- settings
STACK=${RR_STACK_NAME:-ritual-roast}
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
TEMPLATE=${RR_TEMPLATE:-$SCRIPT_DIR/ritual-roast.yaml}
SERVICE_TIMEOUT=${RR_SERVICE_TIMEOUT:-900}
POLL_INTERVAL=${RR_POLL_INTERVAL:-10}
IMAGE_URI=${RR_IMAGE_URI:-}
CONTAINER=${RR_CONTAINER:-ritual-roast}
WAIT_SERVICE=1
DRY_RUN=0
declare -A PARAMS=()   # template parameter -> value, only those given explicitly
set_param() { [ -z "$2" ] || PARAMS[$1]=$2; }
set_param ClusterName "${RR_CLUSTER:-}"
set_param ServiceName "${RR_SERVICE:-}"
set_param RepositoryName "${RR_ECR_REPOSITORY:-}"
set_param ContainerName "${RR_CONTAINER:-}"
set_param CertificateArn "${RR_CERTIFICATE_ARN:-}"
set_param MinTasks "${RR_MIN_TASKS:-}"
set_param MaxTasks "${RR_MAX_TASKS:-}"
set_param NatGateways "${RR_NAT_GATEWAYS:-}"
set_param DBMultiAZ "${RR_DB_MULTI_AZ:-}"
set_param DBInstanceClass "${RR_DB_INSTANCE_CLASS:-}"

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
warn() { printf 'bootstrap.sh: WARNING: %s\n' "$*" >&2; }
die() { printf 'bootstrap.sh: error: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'bootstrap.sh: %s (see --help)\n' "$*" >&2; exit 2; }

need_value() { [ $# -ge 2 ] || usage_error "$1 needs a value"; }
while [ $# -gt 0 ]; do
  arg=$1
  case $arg in
    --*=*) set -- "${arg%%=*}" "${arg#*=}" "${@:2}"; continue ;;
  esac
  case $arg in
    -h|--help) usage; exit 0 ;;
    --stack-name) need_value "$@"; STACK=$2; shift 2 ;;
    --region) need_value "$@"; REGION=$2; shift 2 ;;
    --cluster) need_value "$@"; PARAMS[ClusterName]=$2; shift 2 ;;
    --service) need_value "$@"; PARAMS[ServiceName]=$2; shift 2 ;;
    --repository) need_value "$@"; PARAMS[RepositoryName]=$2; shift 2 ;;
    --container) need_value "$@"; PARAMS[ContainerName]=$2; CONTAINER=$2; shift 2 ;;
    --image-uri) need_value "$@"; IMAGE_URI=$2; shift 2 ;;
    --certificate-arn) need_value "$@"; PARAMS[CertificateArn]=$2; shift 2 ;;
    --min-tasks) need_value "$@"; PARAMS[MinTasks]=$2; shift 2 ;;
    --max-tasks) need_value "$@"; PARAMS[MaxTasks]=$2; shift 2 ;;
    --nat-gateways) need_value "$@"; PARAMS[NatGateways]=$2; shift 2 ;;
    --db-multi-az) need_value "$@"; PARAMS[DBMultiAZ]=$2; shift 2 ;;
    --db-instance-class) need_value "$@"; PARAMS[DBInstanceClass]=$2; shift 2 ;;
    --parameter)
      need_value "$@"
      case $2 in
        [A-Za-z]*=*) PARAMS[${2%%=*}]=${2#*=} ;;
        *) usage_error "--parameter wants KEY=VALUE, got '$2'" ;;
      esac
      shift 2 ;;
    --template) need_value "$@"; TEMPLATE=$2; shift 2 ;;
    --service-timeout) need_value "$@"; SERVICE_TIMEOUT=$2; shift 2 ;;
    --poll-interval) need_value "$@"; POLL_INTERVAL=$2; shift 2 ;;
    --no-wait-service) WAIT_SERVICE=0; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) usage_error "unknown argument: $arg" ;;
  esac
done

# ---------------------------------------------------------------------------------------------- validation
whole() { case $2 in ''|*[!0-9]*) usage_error "$1 must be a whole number, got '$2'" ;; esac; }
whole --service-timeout "$SERVICE_TIMEOUT"
whole --poll-interval "$POLL_INTERVAL"
[ "$POLL_INTERVAL" -ge 1 ] || POLL_INTERVAL=1
[ -z "${PARAMS[MinTasks]:-}" ] || whole --min-tasks "${PARAMS[MinTasks]}"
[ -z "${PARAMS[MaxTasks]:-}" ] || whole --max-tasks "${PARAMS[MaxTasks]}"
if [ -n "${PARAMS[MinTasks]:-}" ] && [ -n "${PARAMS[MaxTasks]:-}" ] \
   && [ "${PARAMS[MinTasks]}" -gt "${PARAMS[MaxTasks]}" ]; then
  usage_error "--min-tasks (${PARAMS[MinTasks]}) is above --max-tasks (${PARAMS[MaxTasks]})"
fi
case ${PARAMS[NatGateways]:-one} in one|per-az) ;; *) usage_error "--nat-gateways must be one or per-az" ;; esac
case ${PARAMS[DBMultiAZ]:-true} in true|false) ;; *) usage_error "--db-multi-az must be true or false" ;; esac
case $STACK in [A-Za-z]*) ;; *) usage_error "--stack-name must start with a letter" ;; esac
[ -n "$REGION" ] || usage_error "--region must not be empty"
[ -f "$TEMPLATE" ] || usage_error "template $TEMPLATE does not exist"
command -v aws >/dev/null 2>&1 || die "the AWS CLI (aws) is not on PATH (https://aws.amazon.com/cli/, or pip install awscli)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rr-bootstrap.XXXXXX")
POLLER_PID=''
stop_poller() {
  if [ -n "$POLLER_PID" ]; then kill "$POLLER_PID" 2>/dev/null || true; wait "$POLLER_PID" 2>/dev/null || true; fi
  POLLER_PID=''
}
cleanup() { stop_poller; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------- helpers
quote() { # shell-quotes one word, readably
  case $1 in
    '' | *[!A-Za-z0-9_./:=@,+%-]*) local q="'\\''"; printf "'%s'" "${1//\'/$q}" ;;
    *) printf '%s' "$1" ;;
  esac
}
show_cmd() { # prefix, command...
  local prefix=$1 out='' a; shift
  for a in "$@"; do out+=" $(quote "$a")"; done
  printf '%s%s\n' "$prefix" "$out"
}
awscli() { aws --region "$REGION" "$@"; }
# A call that changes something: echoed; in --dry-run only echoed.
change() {
  if [ "$DRY_RUN" = 1 ]; then show_cmd '  [dry-run] would run:' aws --region "$REGION" "$@"; return 0; fi
  show_cmd '  +' aws --region "$REGION" "$@"
  awscli "$@"
}

stack_status() { # prints the stack's status, or NONE when it does not exist; fails on other errors
  local out
  if out=$(awscli cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].StackStatus' \
             --output text 2>"$WORK/err"); then
    printf '%s\n' "$out"
  elif grep -q 'does not exist' "$WORK/err"; then
    echo NONE
  else
    cat "$WORK/err" >&2
    return 1
  fi
}

# Prints the stack events not printed yet (oldest first), one line each.
SEEN_EVENTS=$WORK/seen-events
print_new_events() {
  local events
  events=$(awscli cloudformation describe-stack-events --stack-name "$STACK" --max-items 100 --output text \
    --query 'StackEvents[].[EventId,Timestamp,LogicalResourceId,ResourceType,ResourceStatus,ResourceStatusReason]' \
    2>/dev/null) || return 0
  [ -n "$events" ] || return 0
  touch "$SEEN_EVENTS"
  printf '%s\n' "$events" | tac | while IFS=$'\t' read -r id ts logical type status reason; do
    grep -qxF "$id" "$SEEN_EVENTS" && continue
    printf '%s\n' "$id" >>"$SEEN_EVENTS"
    [ "$reason" != None ] || reason=''
    printf '    %s  %-34s %-44s %s%s\n' "${ts:11:8}" "$logical" "$type" "$status" "${reason:+  ($reason)}"
  done
}
# Marks the events there are now as seen, so the progress shows only this run's.
mark_events_seen() {
  awscli cloudformation describe-stack-events --stack-name "$STACK" --max-items 100 --output text \
    --query 'StackEvents[].[EventId]' >"$SEEN_EVENTS" 2>/dev/null || : >"$SEEN_EVENTS"
}
poll_events() { while sleep "$POLL_INTERVAL"; do print_new_events; done; }

physical_id() { # the physical id of one of the stack's resources (empty when there is none)
  awscli cloudformation list-stack-resources --stack-name "$STACK" --output text \
    --query "StackResourceSummaries[?LogicalResourceId=='$1'].PhysicalResourceId | [0]" 2>/dev/null \
    | grep -v '^None$' || true
}

# The service's current task definition (empty when there is none).
current_service_td() { # cluster service
  local td
  td=$(awscli ecs describe-services --cluster "$1" --services "$2" --output text \
         --query "services[?status=='ACTIVE'].taskDefinition | [0]" 2>/dev/null) || return 0
  case $td in ''|None|null) return 0 ;; esac
  printf '%s\n' "$td"
}
# The image of container $CONTAINER in the service's current task definition (empty when there is none).
current_service_image() { # cluster service
  local td
  td=$(current_service_td "$1" "$2")
  [ -n "$td" ] || return 0
  awscli ecs describe-task-definition --task-definition "$td" --output text \
    --query "taskDefinition.containerDefinitions[?name=='$CONTAINER'].image | [0]" 2>/dev/null \
    | grep -v '^None$' || true
}

# ---------------------------------------------------------------------------------------------- current state
step "Stack $STACK in $REGION"
say "  template: $TEMPLATE"
show_cmd '  +' aws --region "$REGION" cloudformation describe-stacks --stack-name "$STACK"
if ! STATUS=$(stack_status); then
  [ "$DRY_RUN" = 1 ] || die "cannot describe stack $STACK (credentials? region?)"
  warn "cannot describe stack $STACK; assuming it does not exist (a real run would stop here)"
  STATUS=NONE
fi
say "  status: $STATUS"
case $STATUS in
  ROLLBACK_COMPLETE|ROLLBACK_FAILED|DELETE_FAILED|UPDATE_ROLLBACK_FAILED)
    die "stack $STACK is $STATUS and cannot be updated; read its events, fix the cause, then delete it:
  aws --region $REGION cloudformation delete-stack --stack-name $STACK" ;;
  *_IN_PROGRESS)
    die "stack $STACK is busy ($STATUS); wait until it has finished and run this again" ;;
esac

# What the service runs before the update: a failed update makes CloudFormation roll the stack back to its
# previous parameters, whose ImageUri may be older than what deploy.sh rolled out since; the service then lands
# on that older revision. We put it back on this one (see restore_service below).
cluster='' service='' PRE_TD=''
if [ "$STATUS" != NONE ]; then
  cluster=$(physical_id Cluster) service=$(physical_id Service)
  [ -z "$cluster" ] || [ -z "$service" ] || PRE_TD=$(current_service_td "$cluster" "$service")
fi
if [ -z "$IMAGE_URI" ] && [ "$STATUS" != NONE ]; then
  # Keep the stack's image in step with what deploy.sh rolled out last.
  running_image=''
  if [ -n "$cluster" ] && [ -n "$service" ]; then
    show_cmd '  +' aws --region "$REGION" ecs describe-services --cluster "$cluster" --services "${service##*/}"
    running_image=$(current_service_image "$cluster" "$service")
  fi
  case $running_image in
    '') say "  image: the stack's service runs no image; the stack keeps its ImageUri" ;;
    *":$PLACEHOLDER_TAG") say "  image: none pushed yet (bootstrap placeholder); bootstrap mode stays on" ;;
    *) IMAGE_URI=$running_image; say "  image: $IMAGE_URI (what the service runs now)" ;;
  esac
elif [ -n "$IMAGE_URI" ]; then
  say "  image: $IMAGE_URI (given)"
else
  say "  image: none (new stack): bootstrap mode, the service starts with 0 tasks and no auto scaling"
fi
[ -z "$IMAGE_URI" ] || PARAMS[ImageUri]=$IMAGE_URI

# ---------------------------------------------------------------------------------------------- deploy
overrides=()
if [ "${#PARAMS[@]}" -gt 0 ]; then
  mapfile -t overrides < <(for key in "${!PARAMS[@]}"; do printf '%s=%s\n' "$key" "${PARAMS[$key]}"; done | LC_ALL=C sort)
fi
deploy_cmd=(cloudformation deploy --stack-name "$STACK" --template-file "$TEMPLATE"
            --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset
            --tags project=ritual-roast managed-by=infra/bootstrap.sh)
[ "${#overrides[@]}" -eq 0 ] || deploy_cmd+=(--parameter-overrides "${overrides[@]}")

if [ "$STATUS" = NONE ]; then
  step "Create stack $STACK (RDS and the NAT gateway take 10-20 minutes)"
else
  step "Update stack $STACK"
fi
if [ "$DRY_RUN" = 1 ]; then
  change "${deploy_cmd[@]}"
  say "  [dry-run] would then wait for the ECS service to be stable and print the stack outputs"
  exit 0
fi
if [ "$STATUS" = NONE ]; then : >"$SEEN_EVENTS"; else mark_events_seen; fi
poll_events &
POLLER_PID=$!
rc=0
change "${deploy_cmd[@]}" 2> >(tee "$WORK/deploy.err" >&2) || rc=$?
stop_poller
print_new_events
if [ "$rc" -ne 0 ] && grep -q 'No updates are to be performed' "$WORK/deploy.err"; then
  # What some CloudFormation implementations (moto) answer instead of an empty change set.
  say "  no changes to deploy"
  rc=0
fi
# After a failed update: once the stack has settled, the service must still run what it ran before (the image
# deploy.sh rolled out), not the revision CloudFormation's rollback left it on.
restore_service() {
  local now deadline=$((SECONDS + SERVICE_TIMEOUT))
  [ -n "$PRE_TD" ] || return 0
  while [[ $(stack_status 2>/dev/null || echo unknown) == *_IN_PROGRESS ]] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep "$POLL_INTERVAL"
  done
  now=$(current_service_td "$cluster" "$service")
  [ -n "$now" ] && [ "$now" != "$PRE_TD" ] || return 0
  say "  the failed update moved the service from ${PRE_TD##*/} to ${now##*/} (the stack's previous, older image);"
  say "  putting it back on ${PRE_TD##*/}, what it ran before this update"
  change ecs update-service --cluster "$cluster" --service "${service##*/}" --task-definition "$PRE_TD" >/dev/null \
    || warn "could not put the service back on $PRE_TD: do it by hand (aws ecs update-service --task-definition $PRE_TD)"
}
if [ "$rc" -ne 0 ]; then
  restore_service
  STATUS=$(stack_status 2>/dev/null || echo unknown)
  hint=''
  [ "$STATUS" != ROLLBACK_COMPLETE ] || hint="; delete the stack before the next try"
  die "aws cloudformation deploy failed (exit $rc); stack $STACK is $STATUS. The events above say why$hint"
fi
STATUS=$(stack_status)
say "  stack status: $STATUS"

# ---------------------------------------------------------------------------------------------- service
CLUSTER_ID=$(physical_id Cluster)
SERVICE_ID=$(physical_id Service)
SERVICE_ID=${SERVICE_ID##*/}   # the physical id is the service ARN
if [ -z "$CLUSTER_ID" ] || [ -z "$SERVICE_ID" ]; then die "stack $STACK has no Cluster or Service resource"; fi
if [ "$WAIT_SERVICE" = 1 ]; then
  step "Service $CLUSTER_ID/$SERVICE_ID"
  deadline=$((SECONDS + SERVICE_TIMEOUT))
  while :; do
    line=$(awscli ecs describe-services --cluster "$CLUSTER_ID" --services "$SERVICE_ID" --output text \
      --query 'services[0].[desiredCount,runningCount,pendingCount,length(deployments),deployments[0].rolloutState]') \
      || die "cannot describe service $CLUSTER_ID/$SERVICE_ID"
    read -r desired running pending deployments rollout <<<"$line"
    say "  desired $desired, running $running, pending $pending, deployments $deployments, rollout $rollout"
    if [ "$deployments" = 1 ] && [ "$running" = "$desired" ] \
       && { [ "$rollout" = COMPLETED ] || [ "$rollout" = None ]; }; then
      break
    fi
    [ "$rollout" != FAILED ] || die "the service's deployment FAILED (circuit breaker); recent events:
  aws --region $REGION ecs describe-services --cluster $CLUSTER_ID --services $SERVICE_ID --query 'services[0].events[:10]'"
    [ "$SECONDS" -lt "$deadline" ] || die "the service did not become stable within ${SERVICE_TIMEOUT}s"
    sleep "$POLL_INTERVAL"
  done
  say "  stable"
fi

# ---------------------------------------------------------------------------------------------- outputs
step "Outputs of $STACK"
outputs=$(awscli cloudformation describe-stacks --stack-name "$STACK" --output text \
  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]') || die "cannot read the outputs of $STACK"
case $outputs in
  ''|None) say "  (the stack reports no outputs)" ;;
  *) printf '%s\n' "$outputs" | LC_ALL=C sort | while IFS=$'\t' read -r key value; do
       printf '  %-22s %s\n' "$key" "$value"
     done ;;
esac
if [ -z "$IMAGE_URI" ]; then
  say ""
  say "Bootstrap mode: the service exists with 0 tasks. Next: ./deploy.sh (pushes the image and rolls the service"
  say "onto it), then infra/bootstrap.sh again (or ./deploy.sh --bootstrap) to start MinTasks tasks with auto scaling."
fi
say "DONE: stack $STACK is $STATUS"
