#!/usr/bin/env bash
# Checks of the infrastructure (infra/ritual-roast.yaml, infra/bootstrap.sh) that run offline, on loopback only:
#   1. lint: cfn-lint reports nothing at all (no errors, no warnings; and a broken copy is caught), shellcheck;
#   2. static: the parsed template (tests/infra/checks.py static): everything moto skips or ignores; the MySQL
#      connection budget (tests/infra/connection_budget.py --check: the pool-size table and its Rules are what the
#      formula gives, and an over-budget or stale copy is caught);
#   3. moto: a moto server on a free loopback port creates the stack in two shapes (defaults = bootstrap mode;
#      image + certificate + NAT per AZ + custom names + AlarmEmail + MetricsNamespace), and the AWS APIs show the
#      resources and their wiring, the alarms put through CloudWatch's API (tests/infra/checks.py stack);
#   4. bootstrap.sh: --help, usage errors, --dry-run, a real create through `aws cloudformation deploy`, a no-op
#      re-run, and the image it passes once deploy.sh has rolled one out.
# moto cannot take the template verbatim in five places (tests/infra/moto_variant.py says which and why); the
# moto stacks use that variant, everything else uses the template as shipped.
# Installs what it lacks with pip (cfn-lint, moto[server], awscli v1). Prints "N passed, M failed" last and exits
# non-zero when anything failed. RR_TEST_KEEP=1 keeps the temp dir (moto log, outputs). About a minute.
# Some checks are eval strings and the cleanup runs from a trap: hence these shellcheck exclusions.
# shellcheck disable=SC2016,SC2034,SC2317
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/infra
TEMPLATE=$ROOT/infra/ritual-roast.yaml
BOOTSTRAP=$ROOT/infra/bootstrap.sh

passed=0 failed=0
pass() { passed=$((passed + 1)); printf '  ok    %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf '  FAIL  %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | head -40 | sed 's/^/        /'; }
check() { # description, command... (passes when the command succeeds)
  local desc=$1; shift
  if "$@"; then pass "$desc"; else fail "$desc"; fi
}
section() { printf '\n== %s\n' "$*"; }
finish() {
  echo
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
abort() { fail "setup: $*"; finish; }
contains() { grep -qF -- "$2" <<<"$1"; }                 # text, fixed string
lacks() { ! grep -qF -- "$2" <<<"$1"; }

# Adds the results of tests/infra/checks.py (which prints ok/FAIL lines and "COUNTS p f" last).
py_checks() {
  local out rc counts p f
  out=$(cd "$HERE" && python3 checks.py "$@" 2>&1); rc=$?
  printf '%s\n' "$out" | grep -v '^COUNTS '
  counts=$(printf '%s\n' "$out" | sed -n 's/^COUNTS //p' | tail -1)
  if [ -z "$counts" ]; then fail "checks.py $1 did not finish (exit $rc)"; return; fi
  read -r p f <<<"$counts"
  passed=$((passed + p)) failed=$((failed + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then fail "checks.py $1 exited $rc"; fi
}

# ------------------------------------------------------------------------------------------- prerequisites
section "prerequisites"
command -v python3 >/dev/null 2>&1 || abort "python3 is missing"
pip_install() { # package... (quiet; the root-user warning is noise)
  echo "  installing $* (pip)"
  python3 -m pip install -q "$@" 2>&1 | grep -v -e "running pip as the 'root' user" -e '^\s*$' || true
  hash -r
}
command -v cfn-lint >/dev/null 2>&1 || pip_install cfn-lint
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "  installing shellcheck (apt)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck) >/dev/null 2>&1
fi
if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import boto3' 2>/dev/null; then pip_install 'moto[server]'; fi
case $(aws --version 2>&1) in
  aws-cli/1.*) ;;
  *) pip_install awscli ;;
esac
command -v shellcheck >/dev/null 2>&1 || abort "shellcheck is missing and could not be installed (apt-get install shellcheck)"
command -v cfn-lint >/dev/null 2>&1 || abort "cfn-lint is missing and could not be installed (pip install cfn-lint)"
command -v moto_server >/dev/null 2>&1 || abort "moto_server is missing and could not be installed (pip install 'moto[server]')"
case $(aws --version 2>&1) in
  aws-cli/1.*) ;;
  *) abort "'aws' is not AWS CLI v1 ($(aws --version 2>&1)); v1 from pip honours AWS_ENDPOINT_URL: pip install awscli" ;;
esac
echo "  $(cfn-lint --version 2>&1), moto $(python3 -c 'import moto; print(moto.__version__)'), $(aws --version 2>&1 | cut -d' ' -f1)"

TMP=$(mktemp -d /tmp/rr-infra-test.XXXXXX)
MOTO_PID=''
cleanup() {
  if [ -n "$MOTO_PID" ]; then kill "$MOTO_PID" 2>/dev/null; wait "$MOTO_PID" 2>/dev/null; fi
  if [ "${RR_TEST_KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------------------- lint
section "lint"
lint_out=$(cfn-lint -- "$TEMPLATE" 2>&1); lint_rc=$?
if [ "$lint_rc" -eq 0 ] && [ -z "$lint_out" ]; then
  pass "cfn-lint $(basename "$TEMPLATE"): no errors, no warnings"
else
  fail "cfn-lint $(basename "$TEMPLATE"): no errors, no warnings (exit $lint_rc)" "$lint_out"
fi
# The lint check can fail: an engine version RDS does not have must be reported.
sed 's/EngineVersion: !Ref DBEngineVersion/EngineVersion: "8.4"/' "$TEMPLATE" >"$TMP/broken.yaml"
broken_out=$(cfn-lint -- "$TMP/broken.yaml" 2>&1)
check "cfn-lint catches a broken copy (EngineVersion \"8.4\" -> E3691)" contains "$broken_out" E3691
check "bash -n infra/bootstrap.sh" bash -n "$BOOTSTRAP"
sc_out=$(shellcheck "$BOOTSTRAP" "$HERE/run.sh" "$ROOT/deploy.sh" "$ROOT/tests/deploy/run.sh" 2>&1)
check "shellcheck infra/bootstrap.sh deploy.sh and their test scripts" [ -z "$sc_out" ]
[ -z "$sc_out" ] || printf '%s\n' "$sc_out" | head -30 | sed 's/^/        /'

# ------------------------------------------------------------------------------------------- static
section "template (static checks)"
py_checks static "$TEMPLATE"

section "connection budget (tests/infra/connection_budget.py)"
BUDGET=$HERE/connection_budget.py
out=$(python3 "$BUDGET" --check "$TEMPLATE" 2>&1); rc=$?
if [ "$rc" = 0 ] && contains "$out" "connection budget in step"; then
  pass "--check: every pool size and Rule in the template is what the formula gives (${out#connection budget in step: })"
else
  fail "--check: every pool size and Rule in the template is what the formula gives (exit $rc)" "$out"
fi
# A copy with one cell over budget: db.t4g.micro at MaxTasks 6 gets 10 connections per task instead of 4.
sed '/^    db\.t4g\.micro: /{n;s/"6":  "4"/"6": "10"/;}' "$TEMPLATE" >"$TMP/over-budget.yaml"
out=$(python3 "$BUDGET" --check "$TMP/over-budget.yaml" 2>&1); rc=$?
if ! cmp -s "$TEMPLATE" "$TMP/over-budget.yaml" && [ "$rc" = 1 ] \
   && contains "$out" "OVER BUDGET db.t4g.micro with MaxTasks 6: pool 10 x 6 tasks x 200% + 10 reserve = 130 > 60"; then
  pass "--check fails on a copy with db.t4g.micro/MaxTasks 6 edited to 10 connections per task (130 > 60)"
else
  fail "--check fails on a copy with db.t4g.micro/MaxTasks 6 edited to 10 connections per task (exit $rc)" "$out"
fi
# The Rules: at MaximumPercent 300 the 1 GiB classes cannot give 9 or 10 tasks 2 connections each. A copy with
# that value must fail --check (table stale, Rules missing); regenerated with --write it passes, carries the two
# Rules, lints clean and passes the static checks.
sed 's/^        MaximumPercent: 200$/        MaximumPercent: 300/' "$TEMPLATE" >"$TMP/surge300.yaml"
out=$(python3 "$BUDGET" --check "$TMP/surge300.yaml" 2>&1); rc=$?
if [ "$rc" = 1 ] && contains "$out" "Rule ConnectionBudgetDbT4gMicro is missing (it refuses db.t4g.micro above MaxTasks 8)"; then
  pass "--check fails on a copy at MaximumPercent 300 (stale table, Rules missing for the 1 GiB classes)"
else
  fail "--check fails on a copy at MaximumPercent 300 (stale table, Rules missing for the 1 GiB classes) (exit $rc)" "$out"
fi
write_out=$(python3 "$BUDGET" --write "$TMP/surge300.yaml" 2>&1)
out=$(python3 "$BUDGET" --check "$TMP/surge300.yaml" 2>&1); rc=$?
rules=$(python3 -c 'import sys; from cfnlint.decode import decode; t, _ = decode(sys.argv[1]); r = t.get("Rules", {})
print(" ".join("%s:%s" % (k, ",".join(v["Assertions"][0]["Assert"]["Fn::Contains"][0])) for k, v in r.items()))' \
  "$TMP/surge300.yaml" 2>&1)
lint300=$(cfn-lint -- "$TMP/surge300.yaml" 2>&1)
static300=$(cd "$HERE" && python3 checks.py static "$TMP/surge300.yaml" 2>&1 | grep -e FAIL -e 'refuses exactly')
if [ "$rc" = 0 ] && [ "$rules" = "ConnectionBudgetDbT3Micro:1,2,3,4,5,6,7,8 ConnectionBudgetDbT4gMicro:1,2,3,4,5,6,7,8" ] \
   && [ -z "$lint300" ] && ! contains "$static300" FAIL && contains "$static300" "db.t4g.micro > 8"; then
  pass "--write on that copy: Rules for db.t3.micro and db.t4g.micro allow MaxTasks 1-8 only; --check, cfn-lint and the static checks pass"
else
  fail "--write on that copy: Rules for db.t3.micro and db.t4g.micro allow MaxTasks 1-8 only; --check, cfn-lint and the static checks pass" \
    "$write_out"$'\n'"check (exit $rc): $out"$'\n'"rules: $rules"$'\n'"cfn-lint: $lint300"$'\n'"static: $static300"
fi

# ------------------------------------------------------------------------------------------- moto
section "moto: create-stack"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Throwaway credentials and config: nothing here can reach a real AWS account.
: >"$TMP/aws-config"; : >"$TMP/aws-credentials"
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
export AWS_CONFIG_FILE=$TMP/aws-config AWS_SHARED_CREDENTIALS_FILE=$TMP/aws-credentials
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=http://127.0.0.1:$PORT
moto_server -H 127.0.0.1 -p "$PORT" >"$TMP/moto.log" 2>&1 &
MOTO_PID=$!
python3 - "$AWS_ENDPOINT_URL" <<'PY' || abort "moto_server did not answer on $AWS_ENDPOINT_URL ($(tail -3 "$TMP/moto.log"))"
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit(1)
PY
echo "  moto_server on 127.0.0.1:$PORT"

out=$(aws cloudformation validate-template --template-body "file://$TEMPLATE" 2>&1)
check "validate-template accepts the template as shipped" contains "$out" '"Description"'
variant_out=$(python3 "$HERE/moto_variant.py" "$TEMPLATE" "$TMP/variant.json" 2>&1); variant_rc=$?
variant_desc="moto variant: 3 secret-ARN GetAtts, 1 parameter-group reference, 2 pool-size map keys, 8 load-balancer/target-group full-name GetAtts and 6 alarm Refs changed, nothing else"
if [ "$variant_rc" -eq 0 ] && [ "$(grep -c . <<<"$variant_out")" -eq 20 ]; then
  pass "$variant_desc"
else
  fail "$variant_desc" "$variant_out"
fi
check "the moto variant is under 51,200 bytes (aws cloudformation deploy takes it without an S3 bucket)" \
  eval '[ "$(wc -c <"$TMP/variant.json")" -lt 51200 ]'
[ -s "$TMP/variant.json" ] || abort "no moto variant of the template"

# Stands in for the secret RDS would create (moto's RDS model has no ManageMasterUserPassword in CloudFormation).
standin_secret() { # name
  aws secretsmanager create-secret --name "$1" --output text --query ARN \
    --secret-string "{\"username\":\"rradmin\",\"password\":\"$(python3 -c 'import secrets; print(secrets.token_hex(16))')\"}"
}
create_stack() { # name, parameters (Key=Value)...
  local name=$1 kv params=(); shift
  for kv in "$@"; do params+=("ParameterKey=${kv%%=*},ParameterValue=${kv#*=}"); done
  aws cloudformation create-stack --stack-name "$name" --template-body "file://$TMP/variant.json" \
    --capabilities CAPABILITY_IAM --parameters "${params[@]}" >"$TMP/$name.create" 2>&1 \
    && aws cloudformation wait stack-create-complete --stack-name "$name" >>"$TMP/$name.create" 2>&1
}

# What moto skipped while creating one stack: the "not supported" lines it logged since offset $1 (bytes).
skipped_since() { tail -c +"$(($1 + 1))" "$TMP/moto.log" | sed -n "s/.*Tried to parse \(AWS::[A-Za-z0-9:]*\) but it's not supported.*/\1/p" | sort -u | tr '\n' ' '; }
log_size() { wc -c <"$TMP/moto.log"; }

# Stack A: all defaults (no image yet: bootstrap mode; HTTP only; one NAT gateway; Multi-AZ database; no
# AlarmEmail).
secret_a=$(standin_secret 'rds!db-a1b2c3d4-e5f6-4a5b-8c7d-0123456789ab') || abort "cannot create the stand-in secret"
log_a=$(log_size)
if create_stack rr-a "MotoDatabaseSecretArn=$secret_a"; then
  pass "create-stack rr-a (defaults: bootstrap mode) reaches CREATE_COMPLETE"
  skipped_a=$(skipped_since "$log_a")
  check "no AlarmEmail: the stack has no e-mail subscription (moto was never asked to create one)" \
    eval 'lacks "$skipped_a" AWS::SNS::Subscription && contains "$skipped_a" AWS::CloudWatch::Alarm'
  py_checks stack rr-a bootstrap "$TEMPLATE"
else
  fail "create-stack rr-a (defaults: bootstrap mode) reaches CREATE_COMPLETE" "$(cat "$TMP/rr-a.create"; tail -20 "$TMP/moto.log")"
fi

# Stack B: an image, HTTPS, a NAT gateway per AZ, single-AZ database, another instance class, other names and
# scaling bounds (db.t4g.small with MaxTasks 9: 7 connections per task).
secret_b=$(standin_secret 'rds!db-b1b2c3d4-e5f6-4a5b-8c7d-0123456789ab') || abort "cannot create the stand-in secret"
cert=$(aws acm request-certificate --domain-name roast.example.test --output text --query CertificateArn) \
  || abort "cannot create a certificate in moto's ACM"
image_b=123456789012.dkr.ecr.us-east-1.amazonaws.com/rr-b@sha256:$(printf 'b%.0s' {1..64})
log_b=$(log_size)
if create_stack rr-b "MotoDatabaseSecretArn=$secret_b" "ImageUri=$image_b" "CertificateArn=$cert" \
     NatGateways=per-az DBMultiAZ=false DBInstanceClass=db.t4g.small ClusterName=rr-b-cluster ServiceName=rr-b-web \
     RepositoryName=rr-b ContainerName=web MinTasks=3 MaxTasks=9 AlarmEmail=oncall@roast.example.test \
     MetricsNamespace=RitualRoast/B; then
  pass "create-stack rr-b (image, HTTPS, NAT per AZ, other names, AlarmEmail, MetricsNamespace) reaches CREATE_COMPLETE"
  skipped_b=$(skipped_since "$log_b")
  check "AlarmEmail set: the stack's e-mail subscription is created (moto, which does not model it, was asked to)" \
    contains "$skipped_b" AWS::SNS::Subscription
  py_checks stack rr-b full "$TEMPLATE" "image=$image_b" "cert=$cert" cluster=rr-b-cluster service=rr-b-web \
    repository=rr-b container=web min=3 max=9 class=db.t4g.small email=oncall@roast.example.test namespace=RitualRoast/B
else
  fail "create-stack rr-b (image, HTTPS, NAT per AZ, other names) reaches CREATE_COMPLETE" "$(cat "$TMP/rr-b.create"; tail -20 "$TMP/moto.log")"
fi

# moto skips resource types it does not model; they must be exactly the ones the static checks cover.
skipped=$(sed -n "s/.*Tried to parse \(AWS::[A-Za-z0-9:]*\) but it's not supported.*/\1/p" "$TMP/moto.log" | sort -u | tr '\n' ' ')
expected_skipped="AWS::ApplicationAutoScaling::ScalableTarget AWS::ApplicationAutoScaling::ScalingPolicy AWS::CloudFormation::WaitConditionHandle AWS::CloudWatch::Alarm AWS::EC2::SecurityGroupEgress AWS::Logs::MetricFilter AWS::SNS::Subscription "
if [ "$skipped" = "$expected_skipped" ]; then
  pass "moto skipped only: ${skipped% }"
else
  fail "moto skipped only the types the static checks cover" "skipped:  $skipped"$'\n'"expected: $expected_skipped"
fi

# ------------------------------------------------------------------------------------------- bootstrap.sh
section "infra/bootstrap.sh"
help_out=$("$BOOTSTRAP" --help 2>&1); help_rc=$?
missing=''
for flag in --stack-name --region --cluster --service --repository --container --image-uri --certificate-arn \
            --min-tasks --max-tasks --nat-gateways --db-multi-az --parameter --dry-run RR_STACK_NAME AWS_REGION; do
  contains "$help_out" "$flag" || missing+=" $flag"
done
check "--help exits 0 and documents every flag and its environment variable${missing:+ (missing:$missing)}" \
  eval '[ "$help_rc" = 0 ] && [ -z "$missing" ]'

usage_case() { # description, args...
  local desc=$1 out rc; shift
  out=$("$BOOTSTRAP" "$@" 2>&1); rc=$?
  if [ "$rc" = 2 ] && contains "$out" "see --help"; then pass "$desc: exit 2"; else fail "$desc: exit 2 (got $rc)" "$out"; fi
}
usage_case "unknown argument" --frobnicate
usage_case "--nat-gateways three" --nat-gateways three
usage_case "--min-tasks above --max-tasks" --min-tasks 5 --max-tasks 2
usage_case "--parameter without =" --parameter TaskCpu
usage_case "--template that does not exist" --template "$TMP/nope.yaml"

mkdir -p "$TMP/no-aws-bin"; ln -s "$(command -v dirname)" "$TMP/no-aws-bin/dirname"
out=$(PATH=$TMP/no-aws-bin "$BASH" "$BOOTSTRAP" 2>&1); rc=$?
if [ "$rc" = 1 ] && contains "$out" "AWS CLI"; then pass "no aws on PATH: exit 1, says so"; else fail "no aws on PATH: exit 1, says so (got $rc)" "$out"; fi

# --dry-run on a stack that does not exist: prints the deploy call, creates nothing.
out=$(RR_STACK_NAME=rr-dry RR_CLUSTER=rr-dry "$BOOTSTRAP" --dry-run --min-tasks 3 2>&1); rc=$?
deploy_line=$(grep -F '[dry-run] would run: aws --region us-east-1 cloudformation deploy' <<<"$out")
if [ "$rc" = 0 ] && contains "$deploy_line" "--stack-name rr-dry --template-file $TEMPLATE --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset" \
   && contains "$deploy_line" "--parameter-overrides ClusterName=rr-dry MinTasks=3"; then
  pass "--dry-run prints the aws cloudformation deploy call with the given parameters"
else
  fail "--dry-run prints the aws cloudformation deploy call with the given parameters (exit $rc)" "$out"
fi
check "--dry-run passes only the parameters it was given (no ImageUri, no NatGateways)" \
  eval '[ -n "$deploy_line" ] && lacks "$deploy_line" ImageUri= && lacks "$deploy_line" NatGateways='
# Positive state first (moto answers describe-stacks for a stack that exists), then: rr-dry "does not exist".
dry_err=$(aws cloudformation describe-stacks --stack-name rr-dry 2>&1 >/dev/null)
check "--dry-run created nothing (moto knows rr-a, and says rr-dry does not exist)" \
  eval 'aws cloudformation describe-stacks --stack-name rr-a >/dev/null 2>&1 && contains "$dry_err" "does not exist"'

# A real create, called the way deploy.sh calls it: no arguments, names in the environment.
secret_c=$(standin_secret 'rds!db-c1b2c3d4-e5f6-4a5b-8c7d-0123456789ab') || abort "cannot create the stand-in secret"
boot() { # args... (deploy.sh's environment, the moto variant of the template, fast polling)
  env AWS_REGION=us-east-1 RR_CLUSTER=rr-boot-cluster RR_SERVICE=rr-boot RR_ECR_REPOSITORY=rr-boot RR_CONTAINER=app \
    RR_STACK_NAME=rr-boot RR_TEMPLATE="$TMP/variant.json" RR_POLL_INTERVAL=1 "$BOOTSTRAP" "$@"
}
out=$(boot --parameter "MotoDatabaseSecretArn=$secret_c" 2>&1); rc=$?
printf '%s\n' "$out" >"$TMP/bootstrap-create.log"
if [ "$rc" = 0 ] && contains "$out" "==> Create stack rr-boot" && contains "$out" "DONE: stack rr-boot is CREATE_COMPLETE"; then
  pass "bootstrap.sh creates the stack with aws cloudformation deploy (exit 0)"
else
  fail "bootstrap.sh creates the stack with aws cloudformation deploy (exit 0, got $rc)" "$out"
fi
check "it prints the stack events as progress" contains "$out" "AWS::CloudFormation::Stack                   CREATE_COMPLETE"
check "it waits for the service and reports it stable" contains "$out" "desired 0, running 0"
check "it says the service has no image yet and what to run next" contains "$out" "Bootstrap mode: the service exists with 0 tasks"
stack_params=$(aws cloudformation describe-stacks --stack-name rr-boot --output text \
  --query 'Stacks[0].Parameters[?contains(`["ClusterName","ServiceName","RepositoryName","ContainerName","ImageUri"]`, ParameterKey)].[ParameterKey,ParameterValue]' 2>&1 | LC_ALL=C sort | tr '\t\n' '= ')
check "deploy.sh's RR_CLUSTER/RR_SERVICE/RR_ECR_REPOSITORY/RR_CONTAINER reach the stack; ImageUri empty" \
  [ "$stack_params" = "ClusterName=rr-boot-cluster ContainerName=app ImageUri= RepositoryName=rr-boot ServiceName=rr-boot " ]
[ "$stack_params" = "ClusterName=rr-boot-cluster ContainerName=app ImageUri= RepositoryName=rr-boot ServiceName=rr-boot " ] \
  || echo "        $stack_params"
svc=$(aws ecs describe-services --cluster rr-boot-cluster --services rr-boot --output text \
  --query 'services[0].[status,desiredCount]' 2>&1 | tr '\t' ' ')
check "the service rr-boot-cluster/rr-boot exists with 0 tasks ($svc)" [ "$svc" = "ACTIVE 0" ]

out=$(boot 2>&1); rc=$?
if [ "$rc" = 0 ] && contains "$out" "==> Update stack rr-boot" && grep -qiE 'no changes' <<<"$out"; then
  pass "a second run with nothing changed is a no-op (exit 0)"
else
  fail "a second run with nothing changed is a no-op (exit 0, got $rc)" "$out"
fi
check "the second run keeps bootstrap mode (only the placeholder image so far)" contains "$out" "bootstrap placeholder"

# What deploy.sh does: a new revision with the image pinned by digest, then update-service.
aws ecs describe-task-definition --task-definition rr-boot --query 'taskDefinition.containerDefinitions' >"$TMP/containers.json" 2>&1
image_c=123456789012.dkr.ecr.us-east-1.amazonaws.com/rr-boot@sha256:$(printf 'c%.0s' {1..64})
python3 - "$TMP/containers.json" "$image_c" <<'PY'
import json, sys
containers = json.load(open(sys.argv[1]))
containers[0]["image"] = sys.argv[2]
json.dump(containers, open(sys.argv[1], "w"))
PY
old_td=$(aws ecs describe-services --cluster rr-boot-cluster --services rr-boot --output text \
  --query 'services[0].taskDefinition' 2>&1)
# (Test setup, not a check: it proves nothing about the product, so a failure aborts.)
if ! new_td=$(aws ecs register-task-definition --family rr-boot --cpu 256 --memory 512 --network-mode awsvpc \
       --requires-compatibilities FARGATE --container-definitions "file://$TMP/containers.json" \
       --query taskDefinition.taskDefinitionArn --output text 2>&1) \
   || ! aws ecs update-service --cluster rr-boot-cluster --service rr-boot --task-definition "$new_td" >/dev/null 2>&1; then
  abort "fixture: cannot register and roll out a new revision of rr-boot ($new_td)"
fi
out=$(boot --dry-run 2>&1); rc=$?
if [ "$rc" = 0 ] && contains "$out" "image: $image_c (what the service runs now)" && contains "$out" "ImageUri=$image_c"; then
  pass "after a deploy, bootstrap.sh passes the image the service runs (no rollback to an older image)"
else
  fail "after a deploy, bootstrap.sh passes the image the service runs (no rollback to an older image)" "$out"
fi
out=$(boot --dry-run --image-uri example.test/rr:given 2>&1)
check "--image-uri wins over the running image" contains "$out" "ImageUri=example.test/rr:given"

# A stack update that fails: CloudFormation rolls the stack back to its previous parameters, whose ImageUri is
# older than what deploy.sh rolled out since, and puts the service back on that older revision. moto does not
# roll stacks back, so an `aws` wrapper plays CloudFormation for the one `cloudformation deploy` call: it moves the
# service to the stack's own (older) revision, $old_td, and fails the way the real call fails.
REAL_AWS=$(command -v aws)
mkdir -p "$TMP/failing-cfn"
cat >"$TMP/failing-cfn/aws" <<EOF
#!/usr/bin/env bash
if [[ " \$* " == *" cloudformation deploy "* ]]; then
  "$REAL_AWS" ecs update-service --cluster rr-boot-cluster --service rr-boot --task-definition "$old_td" >/dev/null \
    && echo "moved the service to $old_td" >"$TMP/failing-cfn/called"
  echo "Failed to create/update the stack. Run the following command to fetch the list of events leading up to the failure" >&2
  exit 255
fi
exec "$REAL_AWS" "\$@"
EOF
chmod +x "$TMP/failing-cfn/aws"
out=$(PATH="$TMP/failing-cfn:$PATH" boot --parameter TaskCpu=512 2>&1); rc=$?
svc_td=$(aws ecs describe-services --cluster rr-boot-cluster --services rr-boot --output text --query 'services[0].taskDefinition' 2>&1)
check "(control) the wrapper played the failed update: it moved the service to ${old_td##*/}" \
  grep -qF "moved the service to $old_td" "$TMP/failing-cfn/called"
check "a failed stack update: exit 1, the service is put back on what deploy.sh rolled out (${new_td##*/}), and it says so" \
  eval '[ "$rc" = 1 ] && [ "$svc_td" = "$new_td" ] && contains "$out" "putting it back on ${new_td##*/}"'
[ "$svc_td" = "$new_td" ] || printf '%s\n' "$out" | tail -15 | sed 's/^/        /'

finish
