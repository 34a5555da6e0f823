#!/usr/bin/env python3
"""Writes the moto-compatible variant of infra/ritual-roast.yaml as JSON and lists every change it made.

moto 5.2's CloudFormation cannot take the template exactly as it is, in five places; the variant changes those
and nothing else, and fails when the template no longer has the expected shape (so a workaround cannot silently
outlive its reason or hide something new):

1. `Fn::GetAtt [Database, MasterUserSecret.SecretArn]` (the RDS-managed secret): moto's RDS model passes neither
   ManageMasterUserPassword nor this attribute ("does not support attribute type"). Each use (the task role's
   policy, SECRET_NAME, the output: 3) becomes `Ref MotoDatabaseSecretArn`, a parameter only the variant has; the
   test passes the ARN of a secret it created in moto's Secrets Manager, standing in for the one RDS creates.
2. `Database.DBParameterGroupName: Ref DbParameterGroup`: moto hands the parameter-group object, not its name, to
   create_db_instance, which then crashes (AttributeError ... 'startswith'). The property is dropped from the
   variant; the parameter group itself is still created, and the static checks assert the reference.
3. `Fn::FindInMap [ConnectionBudget, Ref DBInstanceClass, Ref MaxTasks]` (the per-task pool size: the task's
   RR_DATABASE__POOL_SIZE and the DatabasePoolSize output: 2): the mapping's task-count keys are strings ("6"), as
   CloudFormation gives Ref of a Number parameter, but moto gives a Python int and the lookup fails (KeyError 6).
   The key becomes `Fn::Sub "${MaxTasks}"`, which moto renders as the string. (The template cannot use Fn::Sub there
   itself: CloudFormation allows only Ref and Fn::FindInMap inside Fn::FindInMap.)

4. `Fn::GetAtt [LoadBalancer, LoadBalancerFullName]` and `Fn::GetAtt [TargetGroup, TargetGroupFullName]` (the
   CloudWatch dimension values, "app/<name>/<id>" and "targetgroup/<name>/<id>": the alarms and the dashboard):
   moto raises NotImplementedError (load balancer) or AttributeError (target group). Each use (6 and 2) becomes
   the same value cut out of the ARN that `Ref` gives: `Fn::Select [1, Fn::Split ["loadbalancer/", Ref X]]` and
   `Fn::Select [5, Fn::Split [":", Ref X]]`. The stack checks compare the dashboard's values with the ARNs.
5. `Ref` of an `AWS::CloudWatch::Alarm` (the service's deployment alarms and the DeploymentAlarms output: 6): moto
   does not model alarms in CloudFormation (it skips them), so the Ref would be null. Each becomes the alarm's
   AlarmName, which is what CloudFormation's Ref of an alarm returns. (The stack checks put the alarms into moto's
   CloudWatch through its API instead, from the template's own properties.)

The variant is written as compact JSON: indented, it would pass the 51,200-byte limit of a template body.

Not a change: moto does not evaluate the template's Rules section (a Rule that should refuse the parameters does
not stop moto's create-stack), so the variant keeps whatever Rules the template has and the Rules are checked
statically (checks.py static, connection_budget.py --check).

usage: moto_variant.py TEMPLATE OUT.json
"""
import json
import sys

from cfnlint.decode import decode

SECRET_GETATT = ["Database", "MasterUserSecret.SecretArn"]
SECRET_PARAM = "MotoDatabaseSecretArn"
SECRET_USES = 3
BUDGET_MAPPING = "ConnectionBudget"
BUDGET_USES = 2
# GetAtt of a CloudWatch dimension value -> the same value cut out of the resource's ARN (Ref)
FULL_NAMES = {
    ("LoadBalancer", "LoadBalancerFullName"): (6, lambda r: {"Fn::Select": [1, {"Fn::Split": ["loadbalancer/", r]}]}),
    ("TargetGroup", "TargetGroupFullName"): (2, lambda r: {"Fn::Select": [5, {"Fn::Split": [":", r]}]}),
}
ALARM_REFS = 6


def main(src, dst):
    template, matches = decode(src)
    if matches:
        sys.exit("cannot parse %s: %s" % (src, "; ".join(str(m) for m in matches)))
    template = json.loads(json.dumps(template))  # plain dicts and lists, long-form intrinsics
    changes = []
    alarm_names = {k: r["Properties"]["AlarmName"] for k, r in template["Resources"].items()
                   if r["Type"] == "AWS::CloudWatch::Alarm"}

    def walk(node, path):
        if isinstance(node, dict):
            if list(node) == ["Fn::FindInMap"] and node["Fn::FindInMap"][0] == BUDGET_MAPPING:
                args = node["Fn::FindInMap"]
                if args[2] == {"Ref": "MaxTasks"}:
                    changes.append("%s: Fn::FindInMap %s key Ref MaxTasks -> Fn::Sub ${MaxTasks}"
                                   % (path, BUDGET_MAPPING))
                    return {"Fn::FindInMap": [args[0], walk(args[1], path), {"Fn::Sub": "${MaxTasks}"}]}
            if list(node) == ["Fn::GetAtt"]:
                target = node["Fn::GetAtt"]
                if isinstance(target, str):
                    target = target.split(".", 1)
                if target == SECRET_GETATT:
                    changes.append("%s: Fn::GetAtt %s -> Ref %s" % (path, ".".join(target), SECRET_PARAM))
                    return {"Ref": SECRET_PARAM}
                if tuple(target) in FULL_NAMES:
                    changes.append("%s: Fn::GetAtt %s -> cut from the ARN (Ref %s)" % (path, ".".join(target), target[0]))
                    return FULL_NAMES[tuple(target)][1]({"Ref": target[0]})
            if list(node) == ["Ref"] and node["Ref"] in alarm_names:
                changes.append("%s: Ref %s (an alarm) -> its AlarmName" % (path, node["Ref"]))
                return alarm_names[node["Ref"]]
            return {k: walk(v, path + "/" + k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, "%s/%d" % (path, i)) for i, v in enumerate(node)]
        return node

    variant = walk(template, "")
    found = sum("MasterUserSecret" in c for c in changes)
    if found != SECRET_USES:
        sys.exit("expected %d uses of Fn::GetAtt Database.MasterUserSecret.SecretArn, found %d"
                 % (SECRET_USES, found))
    found = sum(BUDGET_MAPPING in c for c in changes)
    if found != BUDGET_USES:
        sys.exit("expected %d uses of Fn::FindInMap [%s, ..., Ref MaxTasks], found %d"
                 % (BUDGET_USES, BUDGET_MAPPING, found))
    for (res, attr), (uses, _) in FULL_NAMES.items():
        found = sum(("GetAtt %s.%s " % (res, attr)) in c for c in changes)
        if found != uses:
            sys.exit("expected %d uses of Fn::GetAtt %s.%s, found %d" % (uses, res, attr, found))
    found = sum("(an alarm)" in c for c in changes)
    if found != ALARM_REFS:
        sys.exit("expected %d Refs of alarms, found %d" % (ALARM_REFS, found))
    variant["Parameters"][SECRET_PARAM] = {
        "Type": "String",
        "Description": "test only: stands in for Fn::GetAtt Database.MasterUserSecret.SecretArn",
    }

    db = variant["Resources"]["Database"]["Properties"]
    if db.get("DBParameterGroupName") != {"Ref": "DbParameterGroup"}:
        sys.exit("expected Database.DBParameterGroupName to be Ref DbParameterGroup, got %r"
                 % db.get("DBParameterGroupName"))
    del db["DBParameterGroupName"]
    changes.append("/Resources/Database/Properties/DBParameterGroupName: removed")

    with open(dst, "w") as f:
        json.dump(variant, f, separators=(",", ":"))  # compact: under the 51,200-byte template-body limit
    for c in changes:
        print(c)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
