#!/usr/bin/env python3
"""moto_server with the piece of ECS that moto 5.2 does not model: deployments. Used by tests/deploy/run.sh only.

moto's update-service swaps the service's taskDefinition and nothing else: no new deployment, no deployment id,
no rollout, no circuit breaker, no stopped tasks. deploy.sh judges a rollout by the deployment id that
update-service returns, so the test needs those. This launcher patches moto's ECS backend in-process, then runs
moto's own server (every other service is plain moto):

- update-service with a new task definition (or --force-new-deployment) starts a deployment like ECS does: a new
  PRIMARY deployment (new id, rolloutState IN_PROGRESS, runningCount 0), the previous PRIMARY becomes ACTIVE;
  --desired-count is kept (moto sets runningCount to it at once, which hid a desired count of 0).
- each describe-services call is one tick of the primary deployment's rollout; after `polls` ticks the
  service's scenario decides the outcome (below);
- create-service keeps deploymentConfiguration (moto drops it), so the circuit-breaker settings are visible;
- run-task with the container command ["migrate"] (deploy.sh's migration task) stops after `migrate_polls`
  describe-tasks calls with exit code `migrate_exit`, like a one-off ECS task.

Scenarios: $RR_SHIM_SCENARIOS names a JSON file, re-read on every call, {service name: scenario}:
  rollout        what a deployment to a new revision does: "complete" (default: running = desired, the old
                 deployment drained), "hang" (IN_PROGRESS for ever), "fail" (rolloutState FAILED, no rollback:
                 the breaker without rollback), "breaker" (FAILED, and ECS starts its own rollback deployment
                 back to the base revision, as the circuit breaker with rollback=true does), "alarm" (the new
                 tasks run, then a deployment alarm goes into ALARM during the bake: FAILED with an alarm
                 reason, and a rollback deployment when the service's deploymentConfiguration.alarms has
                 rollback on, as ECS does)
  alarms         for "alarm": the deployment alarms that go into ALARM (default: the service's first one)
  alarm_named    for "alarm": whether ECS's reason and event name them (default true; false: they say only
                 "alarm(s)", and CloudWatch must name them)
  alarm_state    for "alarm": also set those alarms to ALARM in moto's CloudWatch (default true), as CloudWatch
                 would have; the alarms must exist (put-metric-alarm)
  drop_failed    for "alarm" with rollback: the failed deployment is gone from the service's deployments by the
                 next read (ECS scales it in and deletes it), so only the events and the rollback say why
  rollback       what a deployment back to the base revision does ("complete" default, or "hang"); the base is
                 the revision the service was on when the current rollout started
  polls          describe-services calls before the outcome (default 1)
  stale_reads    describe-services calls right after update-service that still show the service as it was
                 before (eventual consistency; default 0)
  stopped        tasks a failed rollout leaves behind: [{"stoppedReason", "exitCode", "reason", "logs": [...]}];
                 recorded as STOPPED tasks started by the deployment, log lines put in the container's awslogs
                 stream (<prefix>/<container>/<task id>) when the log group exists
The alarm texts are modelled on ECS's ("... alarm(s) <names> are in ALARM state ..."), not copied from it:
deploy.sh keys on the word "alarm" and on the configured alarm names, never on a whole sentence.
Migration tasks belong to no service (run-task): they follow the entry named "migrate", if any:
  {"migrate": {"exit": 1, "reason": "...", "polls": 1}} (default: exit 0 after 1 describe-tasks call)

usage: moto_ecs.py HOST PORT
"""
import copy
import json
import os
import sys
import threading
import time

import moto.ecs.models as ecs_models
import moto.ecs.responses as ecs_responses
from moto.core.utils import utcnow
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.moto_api._internal import mock_random

Backend = ecs_models.EC2ContainerServiceBackend
LOCK = threading.RLock()
STATE = {}            # "cluster:service" -> {"base": arn, "ticks": {deployment id: n}, "stale": [n, snapshot]}
MIGRATIONS = {}       # task arn -> remaining describe-tasks calls before it stops


def scenario(name):
    path = os.environ.get("RR_SHIM_SCENARIOS")
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f).get(name, {})


def state(svc):
    return STATE.setdefault("%s:%s" % (svc.cluster_name, svc.name), {"base": None, "ticks": {}, "stale": None})


def event(svc, message):
    svc.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": utcnow(), "message": message})


def new_deployment(svc, td, desired):
    now = utcnow()
    return {"id": "ecs-svc/%d" % mock_random.randint(10 ** 17, 10 ** 18), "status": "PRIMARY", "taskDefinition": td,
            "desiredCount": desired, "pendingCount": desired, "runningCount": 0, "failedTasks": 0,
            "createdAt": now, "updatedAt": now, "launchType": svc.launch_type, "platformFamily": "FARGATE",
            "networkConfiguration": svc.network_configuration or None, "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment in progress."}


def start_deployment(backend, svc, td, desired):
    st = state(svc)
    primary = next((d for d in svc.deployments if d["status"] == "PRIMARY"), None)
    # The base is the revision the service was settled on; a deployment started during a shim-driven rollout
    # (someone else's, or deploy.sh's own rollback) keeps the base of that rollout.
    if primary is None or primary["id"] not in st["ticks"] or primary.get("rolloutState") == "COMPLETED":
        st["base"] = primary["taskDefinition"] if primary else svc.task_definition
    for d in svc.deployments:
        if d["status"] == "PRIMARY":
            d["status"] = "ACTIVE"
    dep = new_deployment(svc, td, desired)
    svc.deployments.insert(0, dep)
    svc.task_definition = td
    st["ticks"][dep["id"]] = int(scenario(svc.name).get("polls", 1))
    event(svc, "(service %s) has started 0 tasks: deployment %s." % (svc.name, dep["id"]))
    return dep


def record_stopped_tasks(backend, svc, dep, specs):
    cluster = backend._get_cluster(svc.cluster_name)
    td = backend.describe_task_definition(dep["taskDefinition"])
    for spec in specs:
        task = ecs_models.Task(cluster, td, None, None, backend=backend, group="service:" + svc.name,
                               launch_type="FARGATE", started_by=dep["id"],
                               networking_configuration=svc.network_configuration or None)
        task.last_status = "STOPPED"
        task.desired_status = "STOPPED"
        task.stopped_reason = spec.get("stoppedReason", "Essential container in task exited")
        task.stop_code = "EssentialContainerExited"
        c = task.containers[0]
        c.last_status = "STOPPED"
        c.exitCode = spec.get("exitCode")
        c.reason = spec.get("reason")
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        put_logs(backend, td, task, spec.get("logs") or [])


def put_logs(backend, td, task, lines):
    if not lines:
        return
    from moto.logs.models import logs_backends
    cdef = td.container_definitions[0]
    opts = (cdef.get("logConfiguration") or {}).get("options") or {}
    group, prefix = opts.get("awslogs-group"), opts.get("awslogs-stream-prefix")
    if not group or not prefix:
        return
    logs = logs_backends[backend.account_id][backend.region_name]
    if group not in logs.groups:
        return
    stream = "%s/%s/%s" % (prefix, cdef["name"], task.id)
    logs.create_log_stream(group, stream)
    now = int(time.time() * 1000)
    logs.put_log_events(group, stream, [{"timestamp": now + i, "message": m} for i, m in enumerate(lines)])


def finish(backend, svc, dep, outcome):
    sc = scenario(svc.name)
    if outcome == "complete":
        dep.update(rolloutState="COMPLETED", rolloutStateReason="ECS deployment %s completed." % dep["id"],
                   runningCount=dep["desiredCount"], pendingCount=0)
        svc.deployments = [dep]
        svc.running_count, svc.pending_count, svc.desired_count = dep["desiredCount"], 0, dep["desiredCount"]
        event(svc, "(service %s) has reached a steady state." % svc.name)
    elif outcome in ("fail", "breaker"):
        specs = sc.get("stopped") or [{}]
        dep.update(rolloutState="FAILED", failedTasks=len(specs), pendingCount=0,
                   rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.")
        record_stopped_tasks(backend, svc, dep, specs)
        event(svc, "(service %s) deployment %s deployment failed: tasks failed to start." % (svc.name, dep["id"]))
        base = state(svc)["base"]
        if outcome == "breaker" and base:
            back = start_deployment(backend, svc, base, dep["desiredCount"])
            event(svc, "(service %s) rolling back to deployment %s." % (svc.name, back["id"]))
    elif outcome == "alarm":
        conf = (svc.deployment_configuration or {}).get("alarms") or {}
        names = sc.get("alarms") or (conf.get("alarmNames") or ["(no alarm configured)"])[:1]
        if sc.get("alarm_state", True):
            from moto.cloudwatch.models import cloudwatch_backends
            cw = cloudwatch_backends[backend.account_id][backend.region_name]
            for n in names:
                cw.set_alarm_state(n, "Threshold Crossed: 1 datapoint [7.5] was greater than the threshold (5.0).",
                                   None, "ALARM")
        said = " ".join(names) if sc.get("alarm_named", True) else ""
        # The new tasks had rolled out (the bake): running = desired, then the alarm.
        dep.update(rolloutState="FAILED", runningCount=dep["desiredCount"], pendingCount=0,
                   rolloutStateReason="ECS deployment failed: alarm(s) %sin ALARM state." % (said + " " if said else ""))
        if said:
            event(svc, "(service %s) rolling back deployment %s because alarm(s) %s are in ALARM state."
                  % (svc.name, dep["id"], said))
        else:
            event(svc, "(service %s) deployment %s failed: deployment alarm(s) in ALARM state." % (svc.name, dep["id"]))
        base = state(svc)["base"]
        if conf.get("rollback") and base:
            prev = next((d["id"] for d in svc.deployments if d["taskDefinition"] == base and d is not dep), "?")
            back = start_deployment(backend, svc, base, dep["desiredCount"])
            back["rolloutStateReason"] = "ECS deployment alarms: rolling back to deploymentId %s." % prev
            if sc.get("drop_failed"):
                svc.deployments.remove(dep)
    # "hang": nothing changes


def tick(backend, svc):
    st = state(svc)
    dep = next((d for d in svc.deployments if d["status"] == "PRIMARY"), None)
    if dep is None or dep["id"] not in st["ticks"] or dep.get("rolloutState") != "IN_PROGRESS":
        return
    st["ticks"][dep["id"]] -= 1
    if st["ticks"][dep["id"]] > 0:
        return
    sc = scenario(svc.name)
    outcome = sc.get("rollback", "complete") if dep["taskDefinition"] == st["base"] else sc.get("rollout", "complete")
    finish(backend, svc, dep, outcome)


orig_update_service = Backend.update_service
orig_describe_services = Backend.describe_services
orig_run_task = Backend.run_task
orig_describe_tasks = Backend.describe_tasks
orig_create_service_response = ecs_responses.EC2ContainerServiceResponse.create_service


def update_service(self, props):
    with LOCK:
        cluster = props.get("cluster", "default")
        svc = self._get_service(cluster, props["service"].split("/")[-1])
        before = {"task_definition": svc.task_definition, "deployments": copy.deepcopy(svc.deployments),
                  "running_count": svc.running_count, "pending_count": svc.pending_count,
                  "desired_count": svc.desired_count}
        td = props.get("task_definition")
        force = props.get("force_new_deployment")
        desired = props.get("desired_count")
        props["force_new_deployment"] = False
        svc = orig_update_service(self, props)
        # moto set runningCount to any new desired count at once; the running tasks have not changed yet.
        svc.running_count = before["running_count"]
        svc.task_definition = before["task_definition"]
        target = self.describe_task_definition(td).arn if td else before["task_definition"]
        if desired is None:
            desired = before["desired_count"]
        svc.desired_count = desired
        if target != before["task_definition"] or force:
            start_deployment(self, svc, target, desired)
            n = int(scenario(svc.name).get("stale_reads", 0))
            state(svc)["stale"] = [n, before] if n else None
        else:
            for d in svc.deployments:
                if d["status"] == "PRIMARY":
                    d["desiredCount"] = desired
        svc.pending_count = max(desired - svc.running_count, 0)
        return svc


def describe_services(self, cluster_str, names):
    with LOCK:
        result, failures = orig_describe_services(self, cluster_str, names)
        shown = []
        for svc in result:
            st = state(svc)
            if st["stale"] and st["stale"][0] > 0:
                st["stale"][0] -= 1
                old = copy.copy(svc)
                for k, v in st["stale"][1].items():
                    setattr(old, k, copy.deepcopy(v))
                shown.append(old)
                continue
            tick(self, svc)
            shown.append(svc)
        return shown, failures


def run_task(self, cluster_str, task_definition_str, count, overrides, *args, **kwargs):
    with LOCK:
        tasks = orig_run_task(self, cluster_str, task_definition_str, count, overrides, *args, **kwargs)
        commands = [c.get("command") for c in (overrides or {}).get("containerOverrides") or []]
        if ["migrate"] in commands:
            for t in tasks:
                t.last_status = "PROVISIONING"
                MIGRATIONS[t.task_arn] = None
        return tasks


def describe_tasks(self, cluster_str, tasks):
    with LOCK:
        found = orig_describe_tasks(self, cluster_str, tasks)
        for t in found:
            if t.task_arn not in MIGRATIONS:
                continue
            sc = scenario("migrate")
            if MIGRATIONS[t.task_arn] is None:
                MIGRATIONS[t.task_arn] = int(sc.get("polls", 1))
            MIGRATIONS[t.task_arn] -= 1
            if MIGRATIONS[t.task_arn] > 0:
                t.last_status = "RUNNING"
                continue
            if t.desired_status != "STOPPED":
                code = int(sc.get("exit", 0))
                t.last_status = t.desired_status = "STOPPED"
                t.stopped_reason = "Essential container in task exited"
                t.stop_code = "EssentialContainerExited"
                t.containers[0].last_status = "STOPPED"
                t.containers[0].exitCode = code
                t.containers[0].reason = sc.get("reason") if code else None
            t.last_status = "STOPPED"
        return found


def create_service_response(self):
    result = orig_create_service_response(self)
    config = self._get_param("deploymentConfiguration")
    with LOCK:
        svc = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
        svc.deployment_configuration = config
    return result


# Two moto 5.2 crashes that any Fargate run-task meets (not ECS behaviour, moto bugs): a task definition with
# task-level memory only (containers without "memory") fails the resource sum, and an awsvpc task's ENI
# lacks private_dns_name unless the subnet has one. Fargate places no tasks on instances: nothing to sum.
orig_requirements = Backend._calculate_task_resource_requirements


def task_resource_requirements(task_definition):
    try:
        return orig_requirements(task_definition)
    except TypeError:
        return {"CPU": 0, "MEMORY": 0, "PORTS": [], "PORTS_UDP": []}


def eni_private_dns_name(self):
    return self.__dict__.get("private_dns_name") or "ip-%s.ec2.internal" % str(self.private_ip_address).replace(".", "-")


def set_eni_private_dns_name(self, value):
    self.__dict__["private_dns_name"] = value


NetworkInterface.private_dns_name = property(eni_private_dns_name, set_eni_private_dns_name)
Backend._calculate_task_resource_requirements = staticmethod(task_resource_requirements)
Backend.update_service = update_service
Backend.describe_services = describe_services
Backend.run_task = run_task
Backend.describe_tasks = describe_tasks
ecs_responses.EC2ContainerServiceResponse.create_service = create_service_response

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    from moto.server import main
    main(["-H", sys.argv[1], "-p", sys.argv[2]])
