#!/usr/bin/env python3
"""Assertions for tests/infra/run.sh.

  checks.py static TEMPLATE
      The template itself (parsed by cfn-lint's decoder): everything moto skips or ignores (Application Auto
      Scaling, SecurityGroupEgress, the service's network/load-balancer/circuit-breaker settings, IAM policy
      shapes), and the wiring between resources.
  checks.py stack STACK MODE TEMPLATE [key=value ...]
      A stack created in moto (AWS_ENDPOINT_URL), read back through the AWS APIs. MODE "bootstrap" = defaults
      (no ImageUri, HTTP only, one NAT gateway); MODE "full" = ImageUri, CertificateArn, per-az NAT and the
      names/values given as key=value (image, cert, cluster, service, repository, container, min, max, class,
      email, namespace). TEMPLATE (as shipped) gives the alarms, which moto's CloudFormation skips: they are put
      into moto's CloudWatch through its API, resolved against the stack, as CloudFormation would create them.

Prints one "  ok    ..." or "  FAIL  ..." line per check and last "COUNTS <passed> <failed>".
"""
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ left in tests/infra
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import connection_budget as budget  # noqa: E402 - tests/infra/connection_budget.py: the formula and the classes

PASSED = 0
FAILED = 0


def check(desc, cond, detail=None):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        print("  ok    " + desc)
    else:
        FAILED += 1
        print("  FAIL  " + desc)
        if detail is not None:
            for line in str(detail).splitlines()[:20]:
                print("        " + line)


def guarded(desc, fn):
    """Runs fn (which calls check); an exception is one failed check, not a crash."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - any error is a failed check
        check(desc, False, "%s: %s" % (type(e).__name__, e))


def finish():
    print("COUNTS %d %d" % (PASSED, FAILED))
    sys.exit(0 if FAILED == 0 else 1)


# --------------------------------------------------------------------------------------------- static
POOL_LOOKUP = {"Fn::FindInMap": ["ConnectionBudget", {"Ref": "DBInstanceClass"}, {"Ref": "MaxTasks"}]}


def ref(name):
    return {"Ref": name}


def getatt(res, attr):
    return {"Fn::GetAtt": [res, attr]}


def norm(node):
    """Long-form intrinsics; GetAtt always as a two-element list."""
    if isinstance(node, dict):
        if list(node) == ["Fn::GetAtt"] and isinstance(node["Fn::GetAtt"], str):
            return {"Fn::GetAtt": node["Fn::GetAtt"].split(".", 1)}
        return {k: norm(v) for k, v in node.items()}
    if isinstance(node, list):
        return [norm(v) for v in node]
    return node


def static(path):
    from cfnlint.decode import decode

    tpl, matches = decode(path)
    check("the template parses", not matches and tpl is not None, matches)
    if not tpl:
        return
    tpl = norm(json.loads(json.dumps(tpl)))
    R = tpl["Resources"]
    P = tpl["Parameters"]
    C = tpl.get("Conditions", {})
    raw = open(path).read()

    def props(name):
        return R[name]["Properties"]

    def of_type(t):
        return {k: v for k, v in R.items() if v["Type"] == t}

    # ---- network
    def network():
        subnets = of_type("AWS::EC2::Subnet")
        tiers = {}
        for name, s in subnets.items():
            tier = {t["Key"]: t["Value"] for t in s["Properties"].get("Tags", [])}.get("Tier")
            az = s["Properties"]["AvailabilityZone"]["Fn::Select"][0]
            tiers.setdefault(tier, []).append(int(az))
        check("6 subnets: public, app and data, each in AZ 1 and AZ 2 (%s)" % tiers,
              len(subnets) == 6 and {k: sorted(v) for k, v in tiers.items()}
              == {"public": [0, 1], "app": [0, 1], "data": [0, 1]})
        routes = of_type("AWS::EC2::Route")
        assoc = {a["Properties"]["SubnetId"]["Ref"]: a["Properties"]["RouteTableId"]["Ref"]
                 for a in of_type("AWS::EC2::SubnetRouteTableAssociation").values()}
        default = {r["Properties"]["RouteTableId"]["Ref"]: r["Properties"] for r in routes.values()
                   if r["Properties"].get("DestinationCidrBlock") == "0.0.0.0/0"}
        check("both public subnets route 0.0.0.0/0 to the internet gateway",
              all(default[assoc[s]].get("GatewayId") == ref("InternetGateway")
                  for s in ("PublicSubnet1", "PublicSubnet2")))
        check("app and data subnets of AZ 1 route 0.0.0.0/0 to NAT gateway 1",
              all(default[assoc[s]].get("NatGatewayId") == ref("NatGateway1") for s in ("AppSubnet1", "DataSubnet1")))
        check("app and data subnets of AZ 2 route to NAT gateway 2 with NatGateways=per-az, else NAT gateway 1",
              all(default[assoc[s]].get("NatGatewayId") == {"Fn::If": ["NatPerAz", ref("NatGateway2"),
                                                                          ref("NatGateway1")]}
                  for s in ("AppSubnet2", "DataSubnet2")))
        check("NAT gateway 2 and its EIP exist only with NatGateways=per-az (parameter one|per-az)",
              R["NatGateway2"].get("Condition") == "NatPerAz" and R["NatEip2"].get("Condition") == "NatPerAz"
              and C["NatPerAz"] == {"Fn::Equals": [ref("NatGateways"), "per-az"]}
              and P["NatGateways"]["AllowedValues"] == ["one", "per-az"])
        check("the NAT gateways sit in the public subnets",
              props("NatGateway1")["SubnetId"] == ref("PublicSubnet1")
              and props("NatGateway2")["SubnetId"] == ref("PublicSubnet2"))
    guarded("network", network)

    # ---- security groups
    def security():
        alb = props("AlbSecurityGroup")["SecurityGroupIngress"]
        check("ALB security group: 80 and 443 from 0.0.0.0/0, nothing else",
              sorted((r["FromPort"], r["ToPort"], r.get("CidrIp")) for r in alb)
              == [(80, 80, "0.0.0.0/0"), (443, 443, "0.0.0.0/0")])
        app = props("AppSecurityGroup")["SecurityGroupIngress"]
        check("app security group: only the container port (default 8080, at least 1024), only from the ALB's group",
              len(app) == 1 and app[0]["FromPort"] == ref("ContainerPort") == app[0]["ToPort"]
              and app[0]["SourceSecurityGroupId"] == ref("AlbSecurityGroup") and "CidrIp" not in app[0]
              and P["ContainerPort"]["Default"] == 8080 and P["ContainerPort"]["MinValue"] >= 1024,
              (app, P["ContainerPort"]))
        db = props("DbSecurityGroup")["SecurityGroupIngress"]
        check("DB security group: only 3306, only from the app's security group",
              len(db) == 1 and db[0]["FromPort"] == 3306 == db[0]["ToPort"]
              and db[0]["SourceSecurityGroupId"] == ref("AppSecurityGroup") and "CidrIp" not in db[0])
        eg = {n: e["Properties"] for n, e in of_type("AWS::EC2::SecurityGroupEgress").items()}
        check("egress: ALB only to the tasks' port, tasks to 443 and to the DB's 3306, DB none",
              eg["AlbToAppEgress"]["DestinationSecurityGroupId"] == getatt("AppSecurityGroup", "GroupId")
              and eg["AlbToAppEgress"]["FromPort"] == ref("ContainerPort")
              and eg["AppToDbEgress"]["DestinationSecurityGroupId"] == getatt("DbSecurityGroup", "GroupId")
              and eg["AppToDbEgress"]["FromPort"] == 3306
              and props("AppSecurityGroup")["SecurityGroupEgress"] == [
                  {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0",
                   "Description": "HTTPS to AWS APIs"}]
              and [r["CidrIp"] for r in props("DbSecurityGroup")["SecurityGroupEgress"]] == ["127.0.0.1/32"]
              and [r["CidrIp"] for r in props("AlbSecurityGroup")["SecurityGroupEgress"]] == ["127.0.0.1/32"])
        ports = []
        for sg in of_type("AWS::EC2::SecurityGroup").values():
            for r in sg["Properties"].get("SecurityGroupIngress", []):
                ports.append(r.get("FromPort"))
        types = {v["Type"] for v in R.values()}
        check("no SSH and no EC2 build server (no port 22, no instances, no instance-connect endpoint)",
              22 not in ports and not types & {"AWS::EC2::Instance", "AWS::EC2::InstanceConnectEndpoint",
                                               "AWS::EC2::LaunchTemplate", "AWS::AutoScaling::AutoScalingGroup"})
    guarded("security groups", security)

    # ---- database
    def database():
        db = props("Database")
        check("RDS: mysql, version from DBEngineVersion (8.x, default %s)" % P["DBEngineVersion"]["Default"],
              db["Engine"] == "mysql" and db["EngineVersion"] == ref("DBEngineVersion")
              and all(re.fullmatch(r"8\.\d+\.\d+", v) for v in P["DBEngineVersion"]["AllowedValues"])
              and P["DBEngineVersion"]["Default"] in P["DBEngineVersion"]["AllowedValues"])
        check("RDS: multi-AZ from the DBMultiAZ parameter (true|false), encrypted, not public",
              db["MultiAZ"] == ref("DBMultiAZ") and P["DBMultiAZ"]["AllowedValues"] == ["true", "false"]
              and db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False)
        check("RDS: master secret managed by RDS (ManageMasterUserPassword, no password in the template)",
              db["ManageMasterUserPassword"] is True and "MasterUserPassword" not in db)
        check("RDS: in the data subnets, behind the DB security group",
              props("DbSubnetGroup")["SubnetIds"] == [ref("DataSubnet1"), ref("DataSubnet2")]
              and db["DBSubnetGroupName"] == ref("DbSubnetGroup")
              and db["VPCSecurityGroups"] == [getatt("DbSecurityGroup", "GroupId")])
        check("RDS: TLS required (parameter group mysql8.4, require_secure_transport=1)",
              db["DBParameterGroupName"] == ref("DbParameterGroup")
              and props("DbParameterGroup")["Family"] == "mysql8.4"
              and props("DbParameterGroup")["Parameters"]["require_secure_transport"] == "1")
        check("RDS: a final snapshot on delete and on replacement",
              R["Database"].get("DeletionPolicy") == "Snapshot" and R["Database"].get("UpdateReplacePolicy") == "Snapshot")
    guarded("database", database)

    # ---- load balancer
    def load_balancer():
        lb = props("LoadBalancer")
        check("ALB: internet-facing, in the public subnets, ALB security group",
              lb["Scheme"] == "internet-facing" and lb["Subnets"] == [ref("PublicSubnet1"), ref("PublicSubnet2")]
              and lb["SecurityGroups"] == [getatt("AlbSecurityGroup", "GroupId")])
        tg = props("TargetGroup")
        check("target group: type ip, HTTP on the container port, health check /health.html",
              tg["TargetType"] == "ip" and tg["Protocol"] == "HTTP" and tg["Port"] == ref("ContainerPort")
              and tg["HealthCheckPath"] == "/health.html")
        http = props("HttpListener")
        action = http["DefaultActions"][0]["Fn::If"]
        check("HTTP listener: redirect to HTTPS 443 (301) when a certificate is given, else forward",
              http["Port"] == 80 and action[0] == "UseHttps"
              and action[1]["Type"] == "redirect"
              and action[1]["RedirectConfig"]["Protocol"] == "HTTPS"
              and action[1]["RedirectConfig"]["Port"] == "443"
              and action[1]["RedirectConfig"]["StatusCode"] == "HTTP_301"
              and action[2] == {"Type": "forward", "TargetGroupArn": ref("TargetGroup")})
        https = R["HttpsListener"]
        check("HTTPS listener only with CertificateArn (parameter, empty by default), forwarding to the targets",
              https.get("Condition") == "UseHttps"
              and C["UseHttps"] == {"Fn::Not": [{"Fn::Equals": [ref("CertificateArn"), ""]}]}
              and P["CertificateArn"]["Default"] == ""
              and https["Properties"]["Port"] == 443 and https["Properties"]["Protocol"] == "HTTPS"
              and https["Properties"]["Certificates"] == [{"CertificateArn": ref("CertificateArn")}]
              and https["Properties"]["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": ref("TargetGroup")}])
        meta = R["ListenersReady"]["Metadata"]
        check("the service waits for whichever listener forwards (DependsOn ListenersReady)",
              R["Service"].get("DependsOn") in ("ListenersReady", ["ListenersReady"])
              and meta["HttpListener"] == ref("HttpListener")
              and meta["HttpsListener"] == {"Fn::If": ["UseHttps", ref("HttpsListener"), ""]})
    guarded("load balancer", load_balancer)

    # ---- ECR, cluster, logs, IAM
    def platform():
        repo = props("Repository")
        policy_text = repo["LifecyclePolicy"]["LifecyclePolicyText"]["Fn::Sub"]
        policy = json.loads(policy_text.replace("${KeepImages}", "30"))
        rules = sorted(policy["rules"], key=lambda r: r["rulePriority"])
        rule = rules[-1]
        check("ECR: scan on push, lifecycle policy keeps the newest KeepImages images",
              repo["ImageScanningConfiguration"]["ScanOnPush"] is True and repo["RepositoryName"] == ref("RepositoryName")
              and rule["selection"]["tagStatus"] == "any"
              and rule["selection"]["countType"] == "imageCountMoreThan" and rule["selection"]["countNumber"] == 30
              and rule["action"]["type"] == "expire" and P["KeepImages"]["Default"] == 30, rules)
        first = rules[0]["selection"]
        check("ECR: rule 1 (before the any-tag rule) never expires deployed-* images; tags immutable",
              len(rules) == 2 and first.get("tagStatus") == "tagged" and first.get("tagPrefixList") == ["deployed-"]
              and first.get("countType") == "imageCountMoreThan" and first.get("countNumber", 0) >= 10000
              and repo.get("ImageTagMutability") == "IMMUTABLE", (rules, repo.get("ImageTagMutability")))
        check("ECS cluster and the log group /ecs/<service>",
              props("Cluster")["ClusterName"] == ref("ClusterName")
              and props("LogGroup")["LogGroupName"] == {"Fn::Sub": "/ecs/${ServiceName}"})
        task_role = props("TaskRole")
        statements = [s for p in task_role["Policies"] for s in p["PolicyDocument"]["Statement"]]
        ses = R.get("SesSendPolicy", {})
        ses_stmts = ses.get("Properties", {}).get("PolicyDocument", {}).get("Statement", [])
        check("only with a NotificationSender: the task role may ses:SendEmail from that identity, nothing more",
              ses.get("Type") == "AWS::IAM::Policy" and ses.get("Condition") == "HasNotificationSender"
              and ses["Properties"]["Roles"] == [ref("TaskRole")] and len(ses_stmts) == 1
              and ses_stmts[0]["Effect"] == "Allow" and ses_stmts[0]["Action"] == "ses:SendEmail"
              and ses_stmts[0]["Resource"].get("Fn::Sub", "").endswith(":identity/${NotificationSender}"),
              ses_stmts)
        identity = R.get("SesIdentity", {})
        env_names = {e["Name"]: e["Value"] for e in props("TaskDefinition")["ContainerDefinitions"][0]["Environment"]}
        check("NotificationSender becomes the SES identity (only when set) and RR_NOTIFICATIONS__FROM",
              identity.get("Type") == "AWS::SES::EmailIdentity" and identity.get("Condition") == "HasNotificationSender"
              and identity["Properties"]["EmailIdentity"] == ref("NotificationSender")
              and env_names.get("RR_NOTIFICATIONS__FROM") == ref("NotificationSender")
              and "RR_SITE__PUBLIC_URL" in env_names)
        check("task role: only secretsmanager:GetSecretValue on the database secret, nothing else",
              "ManagedPolicyArns" not in task_role and len(statements) == 1
              and statements[0]["Effect"] == "Allow"
              and statements[0]["Action"] in ("secretsmanager:GetSecretValue", ["secretsmanager:GetSecretValue"])
              and statements[0]["Resource"] == getatt("Database", "MasterUserSecret.SecretArn"))
        exec_role = props("TaskExecutionRole")
        ex = [s for p in exec_role["Policies"] for s in p["PolicyDocument"]["Statement"]]
        by_sid = {s["Sid"]: s for s in ex}
        check("execution role: pull from this repository, write to this log group; '*' only for the ECR login",
              "ManagedPolicyArns" not in exec_role
              and by_sid["EcrPullThisRepository"]["Resource"] == getatt("Repository", "Arn")
              and by_sid["WriteThisLogGroup"]["Resource"] == getatt("LogGroup", "Arn")
              and all(s["Action"] == "ecr:GetAuthorizationToken" for s in ex if s["Resource"] == "*"))
        actions = []
        for r in R.values():
            for p in r.get("Properties", {}).get("Policies", []) if r["Type"] == "AWS::IAM::Role" else []:
                for s in p["PolicyDocument"]["Statement"]:
                    a = s["Action"]
                    actions += a if isinstance(a, list) else [a]
        check("no wildcard IAM actions", actions and not any(a == "*" or a.endswith(":*") for a in actions), actions)
        trust = [props(n)["AssumeRolePolicyDocument"]["Statement"][0] for n in ("TaskRole", "TaskExecutionRole")]
        check("both roles trust only ecs-tasks.amazonaws.com from this account",
              all(t["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
                  and t["Condition"]["StringEquals"]["aws:SourceAccount"] == ref("AWS::AccountId") for t in trust))
    guarded("platform", platform)

    # ---- task definition
    def task_definition():
        td = props("TaskDefinition")
        check("task definition: Fargate, awsvpc, execution role and task role",
              td["RequiresCompatibilities"] == ["FARGATE"] and td["NetworkMode"] == "awsvpc"
              and td["ExecutionRoleArn"] == getatt("TaskExecutionRole", "Arn")
              and td["TaskRoleArn"] == getatt("TaskRole", "Arn"))
        c = td["ContainerDefinitions"][0]
        env = {e["Name"]: e["Value"] for e in c["Environment"]}
        check("container env: DB_SERVER (RDS endpoint), DB_DATABASE, SECRET_NAME (secret ARN), AWS_REGION, PORT, "
              "RR_SERVER__TRUSTED_PROXIES (the VPC: only the ALB may forward client addresses), "
              "RR_DATABASE__POOL_SIZE (the connection budget), RR_METRICS__NAMESPACE (the alarms' and dashboard's), "
              "RR_NOTIFICATIONS__FROM and RR_SITE__PUBLIC_URL (lead emails and their links)",
              env == {"DB_SERVER": getatt("Database", "Endpoint.Address"), "DB_DATABASE": ref("DBName"),
                      "SECRET_NAME": getatt("Database", "MasterUserSecret.SecretArn"),
                      "AWS_REGION": ref("AWS::Region"), "PORT": {"Fn::Sub": "${ContainerPort}"},
                      "RR_SERVER__TRUSTED_PROXIES": ref("VpcCidr"),
                      "RR_DATABASE__POOL_SIZE": POOL_LOOKUP,
                      "RR_METRICS__NAMESPACE": ref("MetricsNamespace"),
                      "RR_NOTIFICATIONS__FROM": ref("NotificationSender"),
                      "RR_SITE__PUBLIC_URL": ref("SitePublicUrl")},
              env)
        check("container: read-only root filesystem, container port (parameter), awslogs to the log group",
              c["ReadonlyRootFilesystem"] is True and c["PortMappings"][0]["ContainerPort"] == ref("ContainerPort")
              and c["LogConfiguration"]["LogDriver"] == "awslogs"
              and c["LogConfiguration"]["Options"]["awslogs-group"] == ref("LogGroup")
              and c["Name"] == ref("ContainerName"))
        check("container: no SystemControls (uid 10001 on 8080 needs no net.ipv4.ip_unprivileged_port_start)",
              not c.get("SystemControls"), c.get("SystemControls"))
        check("image from ImageUri (a parameter, empty = bootstrap placeholder)",
              c["Image"]["Fn::If"][0] == "HasImage" and c["Image"]["Fn::If"][1] == ref("ImageUri")
              and C["HasImage"] == {"Fn::Not": [{"Fn::Equals": [ref("ImageUri"), ""]}]}
              and P["ImageUri"]["Default"] == "")
    guarded("task definition", task_definition)

    # ---- the MySQL connection budget (tests/infra/connection_budget.py computes it; --check compares every cell)
    def connection_budget():
        env = {e["Name"]: e["Value"] for e in props("TaskDefinition")["ContainerDefinitions"][0]["Environment"]}
        check("RR_DATABASE__POOL_SIZE (and the DatabasePoolSize output) = Fn::FindInMap [ConnectionBudget, "
              "Ref DBInstanceClass, Ref MaxTasks]",
              env.get("RR_DATABASE__POOL_SIZE") == POOL_LOOKUP
              and tpl["Outputs"].get("DatabasePoolSize", {}).get("Value") == POOL_LOOKUP,
              (env.get("RR_DATABASE__POOL_SIZE"), tpl["Outputs"].get("DatabasePoolSize")))
        classes, mt = P["DBInstanceClass"], P["MaxTasks"]
        table = tpl["Mappings"]["ConnectionBudget"]
        check("DBInstanceClass: only the classes the mapping has a row for (%d, default %s); MaxTasks a Number 1..%d, "
              "MinTasks at most that" % (len(table), classes.get("Default"), budget.MAX_TASKS),
              classes.get("AllowedValues") == list(table) and classes.get("Default") in table
              and "AllowedPattern" not in classes
              and (mt["Type"], mt.get("MinValue"), mt.get("MaxValue")) == ("Number", 1, budget.MAX_TASKS)
              and P["MinTasks"].get("MaxValue", 10**9) <= budget.MAX_TASKS,
              (classes.get("AllowedValues"), mt, P["MinTasks"]))
        surge = props("Service")["DeploymentConfiguration"]["MaximumPercent"]
        over, cells = [], 0
        for cls, row in table.items():
            limit = budget.class_max_connections(cls)
            for key, value in row.items():
                cells += 1
                t, pool = int(key), int(value)
                if not (budget.POOL_MIN <= pool <= budget.POOL_CAP
                        and pool * t * surge / 100 + budget.RESERVE <= limit):
                    over.append("%s MaxTasks %s: %d x %d x %d%% + %d > %d"
                                % (cls, key, pool, t, surge, budget.RESERVE, limit))
        check("every cell (%d): pool x MaxTasks x %d%% (MaximumPercent) + %d reserve <= the class's max_connections, "
              "pool %d..%d" % (cells, surge, budget.RESERVE, budget.POOL_MIN, budget.POOL_CAP),
              cells and not over, over)
        rules = tpl.get("Rules", {})
        refused = {}   # class -> task counts without a cell
        for cls in classes.get("AllowedValues", []):
            missing = [t for t in range(mt["MinValue"], mt["MaxValue"] + 1) if str(t) not in table.get(cls, {})]
            if missing:
                refused[cls] = missing
        bad = []
        for cls, missing in refused.items():
            fits = [str(t) for t in range(mt["MinValue"], mt["MaxValue"] + 1) if t not in missing]
            mine = [r for r in rules.values()
                    if r.get("RuleCondition") == {"Fn::Equals": [ref("DBInstanceClass"), cls]}]
            a = mine[0]["Assertions"] if len(mine) == 1 else []
            text = a[0].get("AssertDescription", "") if len(a) == 1 else ""
            if not (len(a) == 1 and a[0].get("Assert") == {"Fn::Contains": [fits, ref("MaxTasks")]}
                    and cls in text and ("MaxTasks %s" % fits[-1]) in text and "MaxTasks to" in text
                    and "DBInstanceClass" in text and "MaximumPercent" in text):
                bad.append("%s: refuse MaxTasks %s with a Rule (got %s)" % (cls, missing, mine))
        for name, r in rules.items():
            cond = r.get("RuleCondition", {}).get("Fn::Equals", [None, None])
            if name.startswith("ConnectionBudget") and cond[1] not in refused:
                bad.append("%s refuses task counts that have a cell" % name)
        check("Rules: each class with a task count that does not fit refuses exactly those counts (Contains the "
              "fitting MaxTasks) and says which count fits and what to change%s"
              % (": %s" % ", ".join("%s > %d" % (c, min(m) - 1) for c, m in refused.items()) if refused
                 else " (none needed at MaximumPercent %d: every class fits MaxTasks 1..%d)" % (surge, mt["MaxValue"])),
              not bad, bad)
    guarded("connection budget", connection_budget)

    # ---- service and scaling
    def service():
        s = props("Service")
        net = s["NetworkConfiguration"]["AwsvpcConfiguration"]
        check("service: Fargate, in the app subnets, app security group, no public IP",
              s["LaunchType"] == "FARGATE" and net["AssignPublicIp"] == "DISABLED"
              and net["Subnets"] == [ref("AppSubnet1"), ref("AppSubnet2")]
              and net["SecurityGroups"] == [getatt("AppSecurityGroup", "GroupId")])
        check("service: health-check grace period (parameter, default >= 120 s: a normal boot), circuit breaker with rollback",
              s["HealthCheckGracePeriodSeconds"] == ref("HealthCheckGracePeriodSeconds")
              and P["HealthCheckGracePeriodSeconds"]["Default"] >= 120
              and s["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True})
        check("service: behind the target group, with the container's name and port",
              s["LoadBalancers"] == [{"ContainerName": ref("ContainerName"), "ContainerPort": ref("ContainerPort"),
                                      "TargetGroupArn": ref("TargetGroup")}])
        check("service: 0 tasks in bootstrap mode, else the count is left to auto scaling",
              s["DesiredCount"] == {"Fn::If": ["HasImage", ref("AWS::NoValue"), 0]})
        t = R["ScalableTarget"]
        check("scalable target: the service's DesiredCount, MinTasks..MaxTasks (parameters)",
              t["Properties"]["ScalableDimension"] == "ecs:service:DesiredCount"
              and t["Properties"]["ServiceNamespace"] == "ecs"
              and t["Properties"]["ResourceId"] == {"Fn::Sub": "service/${Cluster}/${Service.Name}"}
              and t["Properties"]["MinCapacity"] == ref("MinTasks") and t["Properties"]["MaxCapacity"] == ref("MaxTasks")
              and t.get("Condition") == "HasImage")
        p = R["CpuTargetTracking"]
        cfg = p["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        check("scaling policy: target tracking ECSServiceAverageCPUUtilization 70, cooldowns 300 s in and out",
              p["Properties"]["PolicyType"] == "TargetTrackingScaling"
              and p["Properties"]["ScalingTargetId"] == ref("ScalableTarget")
              and cfg["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
              and cfg["TargetValue"] == 70 and cfg["ScaleInCooldown"] == 300 and cfg["ScaleOutCooldown"] == 300)
    guarded("service", service)

    # ---- monitoring: topic, alarms, deployment alarms, dashboard
    def monitoring():
        monitoring_static(tpl, R, P, C, raw, check)
    guarded("monitoring", monitoring)

    def outputs():
        want = {"LoadBalancerDNSName", "ServiceUrl", "ClusterName", "ServiceName", "ContainerName", "RepositoryUri",
                "DatabaseSecretArn", "DatabaseEndpoint", "LogGroupName", "AppSubnetIds", "AppSecurityGroupId",
                "AlarmTopicArn", "DashboardName", "DeploymentAlarms"}
        check("outputs: ALB DNS name, cluster, service, ECR URI, secret ARN, DB endpoint, run-task networking, "
              "alarm topic, dashboard, deployment alarms",
              want <= set(tpl["Outputs"]), sorted(want - set(tpl["Outputs"])))
        dotted = re.findall(r"!GetAtt\s+[A-Za-z0-9]+\.[A-Za-z0-9]+\.[A-Za-z0-9.]+", raw)
        check("dotted attributes use the long form Fn::GetAtt [X, A.B] (moto splits !GetAtt on every dot)",
              not dotted, dotted)
        check("template body under 51,200 bytes (deployable without an S3 bucket)", len(raw.encode()) < 51200)
    guarded("outputs", outputs)


# --------------------------------------------------------------------------------------------- monitoring
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GIB = 1024 ** 3
# Every alarm: logical id -> (name suffix, TreatMissingData, deployment alarm?)
ALARMS = {
    "Alb5xxRateAlarm": ("alb-5xx-rate", "notBreaching", True),
    "TargetLatencyAlarm": ("target-p95", "notBreaching", True),
    "UnhealthyHostsAlarm": ("unhealthy-hosts", "notBreaching", False),
    "DbCpuAlarm": ("db-cpu", "missing", False),
    "DbFreeStorageAlarm": ("db-free-storage", "missing", False),
    "TaskRestartsAlarm": ("task-restarts", "notBreaching", False),
    "Lead5xxAlarm": ("lead-5xx", "notBreaching", True),
}
# What the dashboard must show: (namespace or "app", metric, dimension names, statistic or None)
DASHBOARD_WANTS = [
    ("AWS/ApplicationELB", "RequestCount", ("LoadBalancer",), "Sum"),
    ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", ("LoadBalancer",), "Sum"),
    ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", ("LoadBalancer",), "Sum"),
    ("AWS/ApplicationELB", "TargetResponseTime", ("LoadBalancer",), "p95"),
    ("AWS/ApplicationELB", "HealthyHostCount", ("LoadBalancer", "TargetGroup"), None),
    ("AWS/ApplicationELB", "UnHealthyHostCount", ("LoadBalancer", "TargetGroup"), None),
    ("AWS/ECS", "CPUUtilization", ("ClusterName", "ServiceName"), None),
    ("AWS/ECS", "MemoryUtilization", ("ClusterName", "ServiceName"), None),
    ("AWS/RDS", "CPUUtilization", ("DBInstanceIdentifier",), None),
    ("AWS/RDS", "DatabaseConnections", ("DBInstanceIdentifier",), None),
    ("AWS/RDS", "FreeStorageSpace", ("DBInstanceIdentifier",), None),
    ("app", "Requests", ("RouteClass",), "Sum"),
    ("app", "Requests5xx", ("RouteClass",), "Sum"),
    ("app", "Latency", ("RouteClass",), "p95"),
    ("app", "LeadsAccepted", (), "Sum"),
    ("app", "LeadsRejected", (), "Sum"),
    ("app", "LeadsRateLimited", (), "Sum"),
    ("app", "LeadsNotStored", (), "Sum"),
    ("app", "SignInFailures", (), "Sum"),
    ("app", "SignInThrottled", (), "Sum"),
    ("app", "DbPoolInUse", (), None),
    ("app", "DbPoolWait", (), "p95"),
    ("app", "DbBusy", (), "Sum"),
    ("app", "DbUnavailable", (), "Sum"),
    ("app", "TaskStarts", (), "Sum"),
]


def dashboard_rows(body):
    """Every metric row of every widget, the shorthand expanded: (namespace, metric, {dim: value}, stat)."""
    rows = []
    for w in body["widgets"]:
        props = w.get("properties", {})
        prev = None
        for row in props.get("metrics", []):
            opts = row[-1] if row and isinstance(row[-1], dict) else {}
            vals = [v for v in row if not isinstance(v, dict)]
            if vals == ["..."]:
                vals = list(prev)
            else:
                vals = [prev[i] if v == "." and prev else v for i, v in enumerate(vals)]
            prev = vals
            rows.append((vals[0], vals[1], dict(zip(vals[2::2], vals[3::2])), opts.get("stat") or props.get("stat")))
    return rows


def dashboard_body(props):
    """(body text, variables map) of the dashboard's Fn::Sub."""
    sub = props["DashboardBody"]["Fn::Sub"]
    return (sub[0], sub[1]) if isinstance(sub, list) else (sub, {})


def app_metric_names():
    """The names the app writes (src/metrics: the events, the per-route-class and pool metrics)."""
    mod = open(os.path.join(ROOT, "src/metrics/mod.rs")).read()
    emf = open(os.path.join(ROOT, "src/metrics/emf.rs")).read()
    names = set(re.findall(r'Event::\w+ => "(\w+)"', mod))
    names |= set(re.findall(r'\("(\w+)", "(?:Count|Milliseconds)"\)', emf))
    names |= set(re.findall(r'fields\.insert\("(\w+)"\.into\(\)', emf)) - {"RouteClass"}
    return names


def monitoring_static(tpl, R, P, C, raw, check):
    def props(name):
        return R[name]["Properties"]
    topic = ref("AlarmTopic")
    check("SNS topic AlarmTopic; output AlarmTopicArn",
          R["AlarmTopic"]["Type"] == "AWS::SNS::Topic" and tpl["Outputs"]["AlarmTopicArn"]["Value"] == topic)
    sub = R.get("AlarmEmailSubscription", {})
    check("e-mail subscription only with AlarmEmail (parameter, empty by default): Condition HasAlarmEmail",
          sub.get("Type") == "AWS::SNS::Subscription" and sub.get("Condition") == "HasAlarmEmail"
          and C.get("HasAlarmEmail") == {"Fn::Not": [{"Fn::Equals": [ref("AlarmEmail"), ""]}]}
          and P["AlarmEmail"]["Default"] == ""
          and sub["Properties"] == {"TopicArn": topic, "Protocol": "email", "Endpoint": ref("AlarmEmail")},
          sub)
    alarms = {k: v for k, v in R.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    check("alarms: exactly %s" % ", ".join(ALARMS), set(alarms) == set(ALARMS), sorted(alarms))
    bad = []
    for k, (suffix, missing, _) in ALARMS.items():
        a = alarms.get(k, {}).get("Properties", {})
        if a.get("AlarmName") != {"Fn::Sub": "${AWS::StackName}-" + suffix}:
            bad.append("%s: AlarmName %r" % (k, a.get("AlarmName")))
        if a.get("AlarmActions") != [topic] or a.get("OKActions") != [topic]:
            bad.append("%s: actions %r / %r" % (k, a.get("AlarmActions"), a.get("OKActions")))
        if a.get("TreatMissingData") != missing:
            bad.append("%s: TreatMissingData %r, want %r" % (k, a.get("TreatMissingData"), missing))
        if "InsufficientDataActions" in a or alarms.get(k, {}).get("Condition"):
            bad.append("%s: insufficient-data actions or a condition" % k)
    check("every alarm: named <stack>-<what>, notifies the topic on ALARM and on OK, TreatMissingData as chosen "
          "(notBreaching where no data means no traffic, missing for RDS)", not bad, bad)
    # Every alarm's TreatMissingData is explained in the comment lines right above it.
    lines = raw.split("\n")
    unexplained = []
    for k in ALARMS:
        at = lines.index("  %s:" % k) if "  %s:" % k in lines else 0
        if not (at and lines[at - 1].startswith("  #")):
            unexplained.append(k)
    check("a comment above each alarm says why (the DB alarms share one)",
          set(unexplained) <= {"DbFreeStorageAlarm"}, unexplained)

    def one(k):
        return alarms[k]["Properties"]
    lb_dim = {"Name": "LoadBalancer", "Value": getatt("LoadBalancer", "LoadBalancerFullName")}

    def a5xx():
        a = one("Alb5xxRateAlarm")
        stats = {m["Id"]: m for m in a["Metrics"] if "MetricStat" in m}
        expr = [m for m in a["Metrics"] if "Expression" in m]
        names = {i: (m["MetricStat"]["Metric"]["MetricName"], m["MetricStat"]["Metric"]["Dimensions"],
                     m["MetricStat"]["Period"], m["MetricStat"]["Stat"], m["ReturnData"]) for i, m in stats.items()}
        e = expr[0]["Expression"] if len(expr) == 1 else ""
        check("ALB 5xx rate: (HTTPCode_Target_5XX_Count + HTTPCode_ELB_5XX_Count) / (RequestCount + ELB 5xx) x 100 "
              "> 5 over 5 minutes (Sum, 300 s), only with >= 20 requests; metric math returns only the rate",
              names == {"req": ("RequestCount", [lb_dim], 300, "Sum", False),
                        "tgt": ("HTTPCode_Target_5XX_Count", [lb_dim], 300, "Sum", False),
                        "elb": ("HTTPCode_ELB_5XX_Count", [lb_dim], 300, "Sum", False)}
              and expr[0].get("ReturnData") is True
              and e.replace(" ", "") == "IF(FILL(req,0)+FILL(elb,0)>=20,100*(FILL(tgt,0)+FILL(elb,0))/"
                                        "(FILL(req,0)+FILL(elb,0)),0)"
              and a["Threshold"] == 5 and a["ComparisonOperator"] == "GreaterThanThreshold"
              and a["EvaluationPeriods"] == 1 and "MetricName" not in a, (names, e))
    guarded("alb 5xx alarm", a5xx)

    def simple(k, ns, metric, dims, stat, period, evals, op, threshold, datapoints=None, extended=False):
        a = one(k)
        got = (a.get("Namespace"), a.get("MetricName"), a.get("Dimensions", []),
               a.get("ExtendedStatistic") if extended else a.get("Statistic"), a.get("Period"),
               a.get("EvaluationPeriods"), a.get("ComparisonOperator"), a.get("Threshold"), a.get("DatapointsToAlarm"))
        want = (ns, metric, dims, stat, period, evals, op, threshold, datapoints)
        return got == want, (got, want)

    ok, d = simple("TargetLatencyAlarm", "AWS/ApplicationELB", "TargetResponseTime", [lb_dim], "p95", 60, 5,
                   "GreaterThanThreshold", 1, 3, extended=True)
    check("target p95 latency: TargetResponseTime p95 > 1 s in 3 of 5 minutes, low-sample minutes evaluated",
          ok and one("TargetLatencyAlarm").get("EvaluateLowSampleCountPercentile") == "evaluate", d)
    ok, d = simple("UnhealthyHostsAlarm", "AWS/ApplicationELB", "UnHealthyHostCount",
                   [{"Name": "TargetGroup", "Value": getatt("TargetGroup", "TargetGroupFullName")}, lb_dim],
                   "Maximum", 60, 3, "GreaterThanThreshold", 0)
    check("unhealthy hosts: UnHealthyHostCount (TargetGroup + LoadBalancer) > 0 for 3 minutes", ok, d)
    db_dim = [{"Name": "DBInstanceIdentifier", "Value": ref("Database")}]
    ok, d = simple("DbCpuAlarm", "AWS/RDS", "CPUUtilization", db_dim, "Average", 300, 3, "GreaterThanThreshold", 80)
    check("RDS CPU: CPUUtilization > 80% for 15 minutes", ok, d)
    ok, d = simple("DbFreeStorageAlarm", "AWS/RDS", "FreeStorageSpace", db_dim, "Minimum", 300, 1,
                   "LessThanThreshold", 2 * GIB)
    check("RDS free storage: FreeStorageSpace < 2 GiB", ok, d)
    ok, d = simple("TaskRestartsAlarm", ref("MetricsNamespace"), "TaskStarts", [], "Sum", 900, 1,
                   "GreaterThanThreshold", ref("MaxTasks"))
    f = [v["Properties"] for v in R.values() if v["Type"] == "AWS::Logs::MetricFilter"]
    check("task restarts without Container Insights: a metric filter counts the app's 'listening' line into "
          "<MetricsNamespace>/TaskStarts; alarm when more than MaxTasks start in 15 minutes",
          ok and len(f) == 1 and f[0]["LogGroupName"] == ref("LogGroup")
          and f[0]["FilterPattern"] == '{ $.message = "listening" }'
          and f[0]["MetricTransformations"] == [{"MetricNamespace": ref("MetricsNamespace"), "MetricName": "TaskStarts",
                                                 "MetricValue": "1", "Unit": "Count"}], (d, f))
    ok, d = simple("Lead5xxAlarm", ref("MetricsNamespace"), "Requests5xx",
                   [{"Name": "RouteClass", "Value": "lead_post"}], "Sum", 300, 1, "GreaterThanThreshold", 0)
    check("leads answered 5xx: <MetricsNamespace>/Requests5xx RouteClass=lead_post, Sum > 0 over 5 minutes", ok, d)

    dc = props("Service")["DeploymentConfiguration"]
    deploy_alarms = [k for k, v in ALARMS.items() if v[2]]
    names = dc.get("Alarms", {}).get("AlarmNames", [])
    check("service: deployment alarms %s (each an alarm of this template), Enable and Rollback, beside the "
          "circuit breaker" % ", ".join(deploy_alarms),
          dc.get("Alarms", {}).get("Enable") is True and dc.get("Alarms", {}).get("Rollback") is True
          and names == [ref(k) for k in deploy_alarms]
          and all(R.get(n["Ref"], {}).get("Type") == "AWS::CloudWatch::Alarm" for n in names)
          and dc.get("DeploymentCircuitBreaker") == {"Enable": True, "Rollback": True}
          and tpl["Outputs"]["DeploymentAlarms"]["Value"] == {"Fn::Join": [",", names]}, dc)

    # The namespace: one parameter, default = the app's own default, passed to the app, read by alarms + dashboard.
    toml = open(os.path.join(ROOT, "config/default.toml")).read()
    app_default = re.search(r'^\[metrics\][^\[]*?^namespace = "([^"]*)"', toml, re.M | re.S)
    check("MetricsNamespace defaults to the app's metrics.namespace (config/default.toml: %s)"
          % (app_default.group(1) if app_default else "?"),
          app_default and P["MetricsNamespace"]["Default"] == app_default.group(1))

    def dashboard():
        d = props("Dashboard")
        text, variables = dashboard_body(d)
        check("dashboard: Fn::Sub variables Lb, Tg = the ALB's and target group's full names, Svc = the service, "
              "Ns = MetricsNamespace",
              variables == {"Lb": getatt("LoadBalancer", "LoadBalancerFullName"),
                            "Tg": getatt("TargetGroup", "TargetGroupFullName"),
                            "Svc": getatt("Service", "Name"), "Ns": ref("MetricsNamespace")}
              and d.get("DashboardName") == {"Fn::Sub": "${AWS::StackName}"}, variables)
        refs = set(re.findall(r"\$\{([^}]+)\}", text))
        known = set(variables) | set(P) | set(R) | {"AWS::Region", "AWS::StackName", "AWS::AccountId"}
        check("dashboard: every ${...} in the body names a variable, parameter, resource or pseudo parameter",
              refs <= known, sorted(refs - known))
        subst = {"Lb": "app/lb/1", "Tg": "targetgroup/tg/2", "Svc": "svc", "Ns": "NS", "Cluster": "cluster",
                 "Database": "db", "AWS::Region": "us-east-1"}
        body = json.loads(re.sub(r"\$\{([^}]+)\}", lambda m: subst.get(m.group(1), "X"), text))
        rows = dashboard_rows(body)
        missing = []
        for ns, metric, dims, stat in DASHBOARD_WANTS:
            ns = "NS" if ns == "app" else ns
            if not any(r[0] == ns and r[1] == metric and set(r[2]) == set(dims) and (stat is None or r[3] == stat)
                       for r in rows):
                missing.append("%s/%s %s %s" % (ns, metric, dims, stat or ""))
        wrong = [r for r in rows if r[2].get("LoadBalancer", "app/lb/1") != "app/lb/1"
                 or r[2].get("TargetGroup", "targetgroup/tg/2") != "targetgroup/tg/2"
                 or r[2].get("ClusterName", "cluster") != "cluster" or r[2].get("ServiceName", "svc") != "svc"
                 or r[2].get("DBInstanceIdentifier", "db") != "db" or r[2].get("RouteClass", "lead_post") != "lead_post"]
        app_rows = [r for r in rows if not r[0].startswith("AWS/")]
        check("dashboard body is JSON once substituted (%d widgets, %d metric rows) and shows the ALB (requests, "
              "5xx, p95), target health, ECS CPU/memory, RDS CPU/connections/storage and the app's metrics"
              % (len(body["widgets"]), len(rows)),
              not missing and not wrong and all(r[0] == "NS" for r in app_rows)
              and all(w["properties"].get("region") == "us-east-1" for w in body["widgets"]),
              {"missing": missing, "wrong dimensions": wrong})
        names = app_metric_names()
        shown = {r[1] for r in app_rows}
        doc = open(os.path.join(ROOT, "docs/operations.md")).read() if os.path.exists(
            os.path.join(ROOT, "docs/operations.md")) else ""
        undocumented = sorted(n for n in names | {"TaskStarts"} if "`%s`" % n not in doc)
        check("docs/operations.md documents every metric the app writes (%d, read from src/metrics) and TaskStarts"
              % len(names), len(names) >= 20 and not undocumented, undocumented)
        check("the dashboard's app metrics are ones the app writes (or the TaskStarts filter)",
              shown <= names | {"TaskStarts"}, sorted(shown - names - {"TaskStarts"}))
    guarded("dashboard", dashboard)


# --------------------------------------------------------------------------------------------- moto stack
def parse_policy(doc):
    """A policy document as IAM returns it: a dict, JSON, or (moto, for CloudFormation roles) a Python repr."""
    if not isinstance(doc, str):
        return doc
    try:
        return json.loads(doc)
    except ValueError:
        import ast
        return ast.literal_eval(doc)


def stack(name, mode, template, extra):
    import boto3

    opts = dict(kv.split("=", 1) for kv in extra)
    full = mode == "full"
    cfn, ec2, rds = boto3.client("cloudformation"), boto3.client("ec2"), boto3.client("rds")
    elb, ecr, ecs = boto3.client("elbv2"), boto3.client("ecr"), boto3.client("ecs")
    iam, logs = boto3.client("iam"), boto3.client("logs")
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")

    st = cfn.describe_stacks(StackName=name)["Stacks"][0]
    check("[%s] stack is CREATE_COMPLETE" % name, st["StackStatus"] == "CREATE_COMPLETE", st["StackStatus"])
    out = {o["OutputKey"]: o["OutputValue"] for o in st.get("Outputs", [])}
    res = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name):
        for r in page["StackResourceSummaries"]:
            if r.get("LogicalResourceId"):
                res[r["LogicalResourceId"]] = r.get("PhysicalResourceId")
    cluster = opts.get("cluster", "ritual-roast")
    service = opts.get("service", "ritual-roast")
    repo_name = opts.get("repository", "ritual-roast")
    container = opts.get("container", "ritual-roast")
    namespace = opts.get("namespace", "RitualRoast")
    tag = "[%s] " % name

    def network():
        vpc = out["VpcId"]
        check(tag + "VPC 10.20.0.0/16", ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"] == "10.20.0.0/16")
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        tier = {}
        for s in subnets:
            t = {x["Key"]: x["Value"] for x in s.get("Tags", [])}.get("Tier")
            tier.setdefault(t, []).append(s)
        check(tag + "6 subnets over 2 AZs: public, app, data, one of each per AZ",
              len(subnets) == 6 and len({s["AvailabilityZone"] for s in subnets}) == 2
              and all(len(tier.get(t, [])) == 2 and len({s["AvailabilityZone"] for s in tier[t]}) == 2
                      for t in ("public", "app", "data")),
              [(s["CidrBlock"], s["AvailabilityZone"]) for s in subnets])
        igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])
        igw = igws["InternetGateways"][0]["InternetGatewayId"]
        nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["VpcId"] == vpc]
        public_ids = {s["SubnetId"] for s in tier["public"]}
        want_nats = 2 if full else 1
        check(tag + "%d NAT gateway(s), in the public subnets" % want_nats,
              len(nats) == want_nats and {n["SubnetId"] for n in nats} <= public_ids, nats)
        tables = {t["RouteTableId"]: t for t in
                  ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]}
        # moto keeps CloudFormation's subnet associations out of describe-route-tables; the association
        # resource's physical id is its route table, and its logical id names the subnet.
        subnet_logical = {res[k]: k for k in res if re.fullmatch(r"(Public|App|Data)Subnet[12]", k)}

        def default_route(subnet_id):
            table = tables.get(res.get(subnet_logical[subnet_id] + "RouteTableAssociation"), {})
            for r in table.get("Routes", []):
                if r.get("DestinationCidrBlock") == "0.0.0.0/0":
                    return r.get("GatewayId") or r.get("NatGatewayId")
            return None
        check(tag + "public subnets route 0.0.0.0/0 to the internet gateway",
              all(default_route(s) == igw for s in public_ids))
        nat_az = {n["NatGatewayId"]: next(s["AvailabilityZone"] for s in tier["public"] if s["SubnetId"] == n["SubnetId"])
                  for n in nats}
        private = tier["app"] + tier["data"]
        if full:
            ok = all(nat_az.get(default_route(s["SubnetId"])) == s["AvailabilityZone"] for s in private)
            desc = "app and data subnets route 0.0.0.0/0 to the NAT gateway of their own AZ"
        else:
            ok = all(default_route(s["SubnetId"]) in nat_az for s in private)
            desc = "app and data subnets route 0.0.0.0/0 to the NAT gateway"
        check(tag + desc, ok, [(s["CidrBlock"], default_route(s["SubnetId"])) for s in private])
        return tier
    tier = {}
    try:
        tier = network()
    except Exception as e:  # noqa: BLE001
        check(tag + "network", False, "%s: %s" % (type(e).__name__, e))

    def security():
        groups = {g["GroupId"]: g for g in ec2.describe_security_groups(
            GroupIds=[res["AlbSecurityGroup"], res["AppSecurityGroup"], res["DbSecurityGroup"]])["SecurityGroups"]}
        alb, app, db = (groups[res[k]] for k in ("AlbSecurityGroup", "AppSecurityGroup", "DbSecurityGroup"))
        check(tag + "ALB security group: 80 and 443 from 0.0.0.0/0 only",
              sorted((p["FromPort"], [r["CidrIp"] for r in p["IpRanges"]]) for p in alb["IpPermissions"])
              == [(80, ["0.0.0.0/0"]), (443, ["0.0.0.0/0"])])
        check(tag + "app security group: port 8080 from the ALB's group only",
              [(p["FromPort"], p["ToPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]], p["IpRanges"])
               for p in app["IpPermissions"]] == [(8080, 8080, [alb["GroupId"]], [])], app["IpPermissions"])
        check(tag + "DB security group: 3306 from the app's group only",
              [(p["FromPort"], p["ToPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]], p["IpRanges"])
               for p in db["IpPermissions"]] == [(3306, 3306, [app["GroupId"]], [])], db["IpPermissions"])
    guarded(tag + "security groups", security)

    def database():
        d = rds.describe_db_instances(DBInstanceIdentifier=res["Database"])["DBInstances"][0]
        check(tag + "RDS MySQL 8.4.x, encrypted, not public, DB name ritualroast, multi-AZ %s" % (not full),
              d["Engine"] == "mysql" and d["EngineVersion"].startswith("8.4.") and d["StorageEncrypted"] is True
              and d["PubliclyAccessible"] is False and d["DBName"] == "ritualroast" and d["MultiAZ"] is (not full),
              {k: d.get(k) for k in ("Engine", "EngineVersion", "StorageEncrypted", "MultiAZ", "DBName")})
        data_ids = {s["SubnetId"] for s in tier.get("data", [])}
        check(tag + "RDS in the data subnets",
              {s["SubnetIdentifier"] for s in d["DBSubnetGroup"]["Subnets"]} == data_ids and data_ids)
        pg = rds.describe_db_parameters(DBParameterGroupName=res["DbParameterGroup"])["Parameters"]
        check(tag + "parameter group requires TLS",
              {p["ParameterName"]: p["ParameterValue"] for p in pg}.get("require_secure_transport") == "1")
        check(tag + "outputs: DatabaseEndpoint is the instance's address",
              out["DatabaseEndpoint"] == d["Endpoint"]["Address"])
        return d
    d = {}
    try:
        d = database()
    except Exception as e:  # noqa: BLE001
        check(tag + "database", False, "%s: %s" % (type(e).__name__, e))

    def load_balancer():
        lb = elb.describe_load_balancers(LoadBalancerArns=[res["LoadBalancer"]])["LoadBalancers"][0]
        check(tag + "ALB internet-facing in the public subnets with the ALB security group",
              lb["Scheme"] == "internet-facing"
              and {a["SubnetId"] for a in lb["AvailabilityZones"]} == {s["SubnetId"] for s in tier.get("public", [])}
              and lb["SecurityGroups"] == [res["AlbSecurityGroup"]])
        check(tag + "outputs: LoadBalancerDNSName is the ALB's, ServiceUrl %s" % ("https" if full else "http"),
              out["LoadBalancerDNSName"] == lb["DNSName"]
              and out["ServiceUrl"] == "%s://%s/" % ("https" if full else "http", lb["DNSName"]))
        tg = elb.describe_target_groups(TargetGroupArns=[res["TargetGroup"]])["TargetGroups"][0]
        check(tag + "target group: ip, HTTP 8080, health check /health.html",
              tg["TargetType"] == "ip" and tg["Protocol"] == "HTTP" and tg["Port"] == 8080
              and tg["HealthCheckPath"] == "/health.html" and tg["VpcId"] == out["VpcId"])
        listeners = {li["Port"]: li for li in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
        if full:
            http = listeners[80]["DefaultActions"][0]
            https = listeners.get(443, {})
            check(tag + "HTTP listener redirects to HTTPS 443 (301)",
                  http["Type"] == "redirect" and http["RedirectConfig"]["Protocol"] == "HTTPS"
                  and http["RedirectConfig"]["Port"] == "443" and http["RedirectConfig"]["StatusCode"] == "HTTP_301",
                  http)
            check(tag + "HTTPS listener with the certificate forwards to the target group",
                  https.get("Protocol") == "HTTPS"
                  and [c["CertificateArn"] for c in https.get("Certificates", [])] == [opts["cert"]]
                  and https["DefaultActions"][0]["Type"] == "forward"
                  and https["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"], https)
        else:
            check(tag + "only an HTTP listener, forwarding to the target group",
                  list(listeners) == [80] and listeners[80]["DefaultActions"][0]["Type"] == "forward"
                  and listeners[80]["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"])
    guarded(tag + "load balancer", load_balancer)

    def platform():
        repo = ecr.describe_repositories(repositoryNames=[repo_name])["repositories"][0]
        # (moto's CloudFormation drops LifecyclePolicy and the PascalCase ScanOnPush; the static checks cover them.)
        check(tag + "ECR repository %s exists, RepositoryUri output" % repo_name,
              repo["repositoryName"] == repo_name and out["RepositoryUri"] == repo["repositoryUri"])
        cl = ecs.describe_clusters(clusters=[cluster])["clusters"]
        svc = ecs.describe_services(cluster=cluster, services=[service])["services"]
        check(tag + "ECS cluster %s and service %s exist (outputs name them)" % (cluster, service),
              len(cl) == 1 and cl[0]["status"] == "ACTIVE" and len(svc) == 1 and svc[0]["status"] == "ACTIVE"
              and out["ClusterName"] == cluster and out["ServiceName"] == service)
        if not full:
            check(tag + "bootstrap mode: the service runs 0 tasks", svc[0]["desiredCount"] == 0, svc[0]["desiredCount"])
        td = ecs.describe_task_definition(taskDefinition=svc[0]["taskDefinition"])["taskDefinition"]
        c = td["containerDefinitions"][0]
        env = {e["name"]: e["value"] for e in c.get("environment", [])}
        db_class, max_tasks = opts.get("class", "db.t4g.micro"), int(opts.get("max", 6))
        pool = str(budget.pool_size(budget.class_max_connections(db_class), max_tasks))
        check(tag + "service's task definition: family %s, container %s" % (service, container),
              td["family"] == service and c["name"] == container)
        want_image = opts["image"] if full else repo["repositoryUri"] + ":bootstrap-placeholder"
        check(tag + "image %s" % want_image, c["image"] == want_image, c["image"])
        check(tag + "env DB_SERVER = the RDS endpoint, DB_DATABASE, SECRET_NAME = the secret ARN, AWS_REGION, PORT, "
              "RR_SERVER__TRUSTED_PROXIES = the VPC CIDR, RR_DATABASE__POOL_SIZE = %s (%s, MaxTasks %d; output too), "
              "RR_METRICS__NAMESPACE = %s, no lead emails" % (pool, db_class, max_tasks, namespace),
              env == {"DB_SERVER": d.get("Endpoint", {}).get("Address"), "DB_DATABASE": "ritualroast",
                      "SECRET_NAME": out["DatabaseSecretArn"], "AWS_REGION": region, "PORT": "8080",
                      "RR_SERVER__TRUSTED_PROXIES": "10.20.0.0/16", "RR_DATABASE__POOL_SIZE": pool,
                      "RR_METRICS__NAMESPACE": namespace, "RR_NOTIFICATIONS__FROM": "", "RR_SITE__PUBLIC_URL": ""}
              and out.get("DatabasePoolSize") == pool, (env, out.get("DatabasePoolSize")))
        check(tag + "container: port 8080, read-only root filesystem, awslogs to /ecs/%s, no sysctl" % service,
              [p["containerPort"] for p in c["portMappings"]] == [8080] and c["readonlyRootFilesystem"] is True
              and c["logConfiguration"]["logDriver"] == "awslogs"
              and c["logConfiguration"]["options"]["awslogs-group"] == "/ecs/" + service
              and not c.get("systemControls"), c)
        groups = logs.describe_log_groups(logGroupNamePrefix="/ecs/" + service)["logGroups"]
        check(tag + "log group /ecs/%s, 30 days" % service,
              [(g["logGroupName"], g.get("retentionInDays")) for g in groups] == [("/ecs/" + service, 30)])

        def inline(role):
            names = iam.list_role_policies(RoleName=role)["PolicyNames"]
            docs = [iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"] for n in names]
            docs = [parse_policy(x) for x in docs]
            attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
            return [s for doc in docs for s in doc["Statement"]], attached
        stmts, attached = inline(res["TaskRole"])
        check(tag + "task role: only GetSecretValue on the secret in SECRET_NAME",
              not attached and len(stmts) == 1 and stmts[0]["Action"] == "secretsmanager:GetSecretValue"
              and stmts[0]["Resource"] == out["DatabaseSecretArn"], stmts)
        stmts, attached = inline(res["TaskExecutionRole"])
        by_sid = {s["Sid"]: s for s in stmts}
        group_arn = "arn:aws:logs:%s:%s:log-group:/ecs/%s" % (region, repo["registryId"], service)
        check(tag + "execution role: ECR pull on this repository, logs on this log group",
              not attached and by_sid["EcrPullThisRepository"]["Resource"] == repo["repositoryArn"]
              and by_sid["WriteThisLogGroup"]["Resource"].startswith(group_arn), stmts)
        check(tag + "outputs: auto scaling %s" % ("%s-%s tasks" % (opts.get("min"), opts.get("max")) if full else "off"),
              out["AutoScaling"].startswith("%s-%s tasks" % (opts.get("min"), opts.get("max")))
              if full else out["AutoScaling"].startswith("off"), out["AutoScaling"])
    guarded(tag + "platform", platform)

    def monitoring():
        monitoring_stack(name, st, out, res, opts, template, cluster, service, namespace, tag)
    guarded(tag + "monitoring", monitoring)


def resolver(params, res, lb_full, tg_full):
    """Resolves the intrinsics of the template's alarm properties against a stack, as CloudFormation would."""
    def value(name):
        if name in params:
            return params[name]
        if name in res:
            return res[name]
        raise KeyError("cannot resolve Ref %s" % name)

    def attr(target):
        full = {("LoadBalancer", "LoadBalancerFullName"): lb_full, ("TargetGroup", "TargetGroupFullName"): tg_full}
        if tuple(target) in full:
            return full[tuple(target)]
        raise KeyError("cannot resolve GetAtt %s" % ".".join(target))

    def resolve(node):
        if isinstance(node, dict):
            if list(node) == ["Ref"]:
                return value(node["Ref"])
            if list(node) == ["Fn::GetAtt"]:
                t = node["Fn::GetAtt"]
                return attr(t.split(".", 1) if isinstance(t, str) else t)
            if list(node) == ["Fn::Sub"] and isinstance(node["Fn::Sub"], str):
                return re.sub(r"\$\{([^}]+)\}", lambda m: attr(m.group(1).split(".", 1)) if "." in m.group(1)
                              and not m.group(1).startswith("AWS::") else str(value(m.group(1))), node["Fn::Sub"])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node
    return resolve


def monitoring_stack(name, st, out, res, opts, template, cluster, service, namespace, tag):
    import boto3
    from cfnlint.decode import decode

    cw, sns, elb = boto3.client("cloudwatch"), boto3.client("sns"), boto3.client("elbv2")
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    topic = res.get("AlarmTopic")
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    check(tag + "SNS topic for the alarms exists; output AlarmTopicArn is it",
          topic in topics and out.get("AlarmTopicArn") == topic, (topic, out.get("AlarmTopicArn")))
    lb = elb.describe_load_balancers(LoadBalancerArns=[res["LoadBalancer"]])["LoadBalancers"][0]["LoadBalancerArn"]
    tg = res["TargetGroup"]
    lb_full = lb.split(":loadbalancer/", 1)[1]
    tg_full = tg.rsplit(":", 1)[1]

    # The dashboard (moto's CloudFormation creates it): JSON once substituted, pointing at this stack's resources.
    dash = cw.get_dashboard(DashboardName=out.get("DashboardName", name))
    body = json.loads(dash["DashboardBody"])
    rows = dashboard_rows(body)
    dims = {}
    for r in rows:
        for k, v in r[2].items():
            dims.setdefault(k, set()).add(v)
    app_ns = {r[0] for r in rows if not r[0].startswith("AWS/")}
    check(tag + "dashboard %s: JSON, %d widgets in %s; its dimensions are this stack's ALB (%s), target group, "
          "cluster %s, service %s and DB instance; the app's metrics in %s"
          % (dash["DashboardName"], len(body["widgets"]), region, lb_full, cluster, service, namespace),
          out.get("DashboardName") == name
          and dims == {"LoadBalancer": {lb_full}, "TargetGroup": {tg_full}, "ClusterName": {cluster},
                       "ServiceName": {service}, "DBInstanceIdentifier": {res["Database"]},
                       "RouteClass": {"lead_post"}}
          and app_ns == {namespace} and {w["properties"]["region"] for w in body["widgets"]} == {region},
          (dims, app_ns))

    # The alarms: moto's CloudFormation skips AWS::CloudWatch::Alarm, so put them through CloudWatch's own API
    # (PutMetricAlarm takes the template's properties by the same names), resolved against this stack.
    tpl, _ = decode(template)
    tpl = norm(json.loads(json.dumps(tpl)))
    params = {p["ParameterKey"]: p["ParameterValue"] for p in st.get("Parameters", [])}
    params.update({"AWS::StackName": name, "AWS::Region": region})
    resolve = resolver(params, res, lb_full, tg_full)
    created, problems = [], []
    for k, r in tpl["Resources"].items():
        if r["Type"] != "AWS::CloudWatch::Alarm":
            continue
        p = resolve(r["Properties"])
        for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
            if key in p:
                p[key] = int(p[key])
        p["Threshold"] = float(p["Threshold"])
        for m in p.get("Metrics", []):
            if "MetricStat" in m:
                m["MetricStat"]["Period"] = int(m["MetricStat"]["Period"])
        try:
            cw.put_metric_alarm(**p)
            created.append(p["AlarmName"])
        except Exception as e:  # noqa: BLE001 - a rejected alarm is a failed check
            problems.append("%s: %s" % (k, e))
    check(tag + "CloudWatch accepts all %d alarms of the template, resolved against this stack (PutMetricAlarm)"
          % len(created), created and not problems, problems)
    found = cw.describe_alarms(AlarmNames=created)["MetricAlarms"]
    bad = [a["AlarmName"] for a in found if a["AlarmActions"] != [topic] or a["OKActions"] != [topic]]
    check(tag + "each alarm notifies the stack's topic on ALARM and OK", len(found) == len(created) and not bad, bad)
    by_name = {a["AlarmName"]: a for a in found}
    lead = by_name.get(name + "-lead-5xx", {})
    restarts = by_name.get(name + "-task-restarts", {})
    check(tag + "app-metric alarms read %s (lead 5xx: Requests5xx RouteClass=lead_post; task restarts: TaskStarts "
          "> MaxTasks %s)" % (namespace, opts.get("max", 6)),
          lead.get("Namespace") == namespace and restarts.get("Namespace") == namespace
          and lead.get("Dimensions") == [{"Name": "RouteClass", "Value": "lead_post"}]
          and restarts.get("Threshold") == float(opts.get("max", 6)), (lead, restarts))
    deploy = (out.get("DeploymentAlarms") or "").split(",")
    check(tag + "the service's deployment alarms (output DeploymentAlarms: %s) are alarms that exist"
          % ", ".join(deploy),
          len(deploy) == 3 and all(n in by_name for n in deploy)
          and deploy == [name + "-alb-5xx-rate", name + "-target-p95", name + "-lead-5xx"], deploy)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "static":
        guarded("static checks", lambda: static(sys.argv[2]))
    elif len(sys.argv) >= 5 and sys.argv[1] == "stack":
        guarded("stack checks", lambda: stack(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))
    else:
        sys.exit(__doc__)
    finish()
