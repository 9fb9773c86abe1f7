#!/usr/bin/env python3
"""Drives `workflow serve` with the real AWS clients: boto3 and the AWS CLI.

usage: sfn_clients.py ENDPOINT_URL
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (the server checks the SigV4
signatures). Prints one line per check and a final `N passed, M failed`; exits 1 on any failure.
The expectations are AWS's documented behaviour (API reference: request and response fields,
error codes).
"""
import datetime
import json
import os
import subprocess
import sys
import threading
import time
import traceback

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/clients"
KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]
SECRET = os.environ["AWS_SECRET_ACCESS_KEY"]
RUN = str(int(time.time() * 1000))[-7:]

passed, failed = 0, 0


def client(secret=SECRET):
    # StartSyncExecution's host prefix ("sync-") cannot resolve on a local endpoint.
    config = botocore.config.Config(inject_host_prefix=False, retries={"max_attempts": 1},
                                    read_timeout=90)
    return boto3.session.Session().client(
        "stepfunctions", endpoint_url=ENDPOINT, region_name=REGION,
        aws_access_key_id=KEY_ID, aws_secret_access_key=secret, config=config)


sfn = client()


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print(f"ok   {name}", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the suite
        failed += 1
        print(f"FAIL {name}: {e!r}", flush=True)
        traceback.print_exc(limit=3)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("no error")


def expect_error(code, fn):
    got = error_code(fn)
    expect(got == code, f"error {got}, expected {code}")


def machine_arn(name):
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def activity_arn(name):
    return f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{name}"


def wait_status(arn, status, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] == status:
            return d
        time.sleep(0.05)
    raise AssertionError(f"{arn} is {d['status']}, never {status}")


PASS_CHOICE = json.dumps({
    "Comment": "doubles n, then branches on it",
    "StartAt": "Double",
    "States": {
        "Double": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"}, "Next": "Big?"},
        "Big?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}],
                 "Default": "Small"},
        "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True},
    },
})

REVIEW = f"review-{RUN}"
REVIEWED = json.dumps({
    "StartAt": "Review",
    "States": {
        "Review": {"Type": "Task", "Resource": activity_arn(REVIEW), "HeartbeatSeconds": 60, "Next": "Ok?"},
        "Ok?": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Done"}],
                "Default": "Rejected"},
        "Done": {"Type": "Succeed"},
        "Rejected": {"Type": "Fail", "Error": "Rejected", "Cause": "the reviewer said no"},
    },
})

PLAIN = f"plain-{RUN}"
QUICK = f"quick-{RUN}"
REVIEWS = f"reviews-{RUN}"


# ----- state machines -----

def create_and_describe():
    created = sfn.create_state_machine(name=PLAIN, definition=PASS_CHOICE, roleArn=ROLE,
                                       tags=[{"key": "team", "value": "core"}])
    expect(created["stateMachineArn"] == machine_arn(PLAIN), created)
    expect(isinstance(created["creationDate"], datetime.datetime), created)
    d = sfn.describe_state_machine(stateMachineArn=machine_arn(PLAIN))
    expect(d["name"] == PLAIN and d["status"] == "ACTIVE" and d["type"] == "STANDARD", d)
    expect(d["definition"] == PASS_CHOICE and d["roleArn"] == ROLE, d)
    # Creating the same machine again is idempotent.
    again = sfn.create_state_machine(name=PLAIN, definition=PASS_CHOICE, roleArn=ROLE)
    expect(again["stateMachineArn"] == created["stateMachineArn"], again)
    sfn.create_state_machine(name=QUICK, definition=PASS_CHOICE, roleArn=ROLE, type="EXPRESS")
    sfn.create_activity(name=REVIEW)
    sfn.create_state_machine(name=REVIEWS, definition=REVIEWED, roleArn=ROLE)


def machine_errors():
    expect_error("StateMachineAlreadyExists", lambda: sfn.create_state_machine(
        name=PLAIN, definition=REVIEWED, roleArn=ROLE))
    expect_error("InvalidName", lambda: sfn.create_state_machine(
        name="has a space", definition=PASS_CHOICE, roleArn=ROLE))
    expect_error("InvalidDefinition", lambda: sfn.create_state_machine(
        name=f"bad-{RUN}", roleArn=ROLE,
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}})))
    expect_error("StateMachineDoesNotExist", lambda: sfn.describe_state_machine(
        stateMachineArn=machine_arn(f"none-{RUN}")))
    expect_error("InvalidArn", lambda: sfn.describe_state_machine(stateMachineArn="arn:nope"))


def list_and_page_machines():
    names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    expect({PLAIN, QUICK, REVIEWS} <= set(names), names)
    first = sfn.list_state_machines(maxResults=1)
    expect(len(first["stateMachines"]) == 1 and "nextToken" in first, first)
    paged = [m["name"] for page in sfn.get_paginator("list_state_machines").paginate(
        PaginationConfig={"PageSize": 1}) for m in page["stateMachines"]]
    expect(paged == names, (paged, names))


def validate():
    ok = sfn.validate_state_machine_definition(definition=PASS_CHOICE)
    expect(ok["result"] == "OK" and ok["diagnostics"] == [], ok)
    bad = sfn.validate_state_machine_definition(
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}))
    expect(bad["result"] == "FAIL", bad)
    codes = [d["code"] for d in bad["diagnostics"]]
    expect("MISSING_TRANSITION_TARGET" in codes, codes)
    expect(all(d["severity"] == "ERROR" and "location" in d for d in bad["diagnostics"]), bad)
    located = [d["location"] for d in bad["diagnostics"] if d["code"] == "MISSING_TRANSITION_TARGET"]
    expect(located == ["/States/A/Next"], located)


def update():
    changed = PASS_CHOICE.replace('"big"', '"BIG"')
    u = sfn.update_state_machine(stateMachineArn=machine_arn(PLAIN), definition=changed)
    expect(isinstance(u["updateDate"], datetime.datetime), u)
    expect(sfn.describe_state_machine(stateMachineArn=machine_arn(PLAIN))["definition"] == changed, "not updated")
    expect_error("MissingRequiredParameter", lambda: sfn.update_state_machine(stateMachineArn=machine_arn(PLAIN)))
    sfn.update_state_machine(stateMachineArn=machine_arn(PLAIN), definition=PASS_CHOICE)


def tags():
    arn = machine_arn(PLAIN)
    expect(sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "core"}], "create tags")
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "ci"}, {"key": "team", "value": "platform"}])
    got = sorted((t["key"], t["value"]) for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"])
    expect(got == [("env", "ci"), ("team", "platform")], got)
    sfn.untag_resource(resourceArn=arn, tagKeys=["env"])
    got = sfn.list_tags_for_resource(resourceArn=arn)["tags"]
    expect(got == [{"key": "team", "value": "platform"}], got)
    expect_error("ResourceNotFound", lambda: sfn.list_tags_for_resource(resourceArn=machine_arn(f"none-{RUN}")))


# ----- executions -----

started = []


def start_and_list():
    for i in range(5):
        r = sfn.start_execution(stateMachineArn=machine_arn(PLAIN), name=f"run-{i}", input=json.dumps({"n": i * 3}))
        expect(r["executionArn"].endswith(f":execution:{PLAIN}:run-{i}"), r)
        expect(isinstance(r["startDate"], datetime.datetime), r)
        started.append(r["executionArn"])
    for arn in started:
        wait_status(arn, "SUCCEEDED")
    d = sfn.describe_execution(executionArn=started[4])
    expect(json.loads(d["output"]) == {"n": 24, "size": "big"}, d["output"])
    expect(d["input"] == '{"n":12}' or json.loads(d["input"]) == {"n": 12}, d["input"])
    expect(d["stateMachineArn"] == machine_arn(PLAIN) and d["name"] == "run-4", d)
    expect(d["stopDate"] >= d["startDate"], d)
    # Paging by hand, two at a time.
    seen, token = [], None
    while True:
        kwargs = {"stateMachineArn": machine_arn(PLAIN), "maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = sfn.list_executions(**kwargs)
        expect(len(page["executions"]) <= 2, page)
        seen += [e["executionArn"] for e in page["executions"]]
        token = page.get("nextToken")
        if not token:
            break
    expect(sorted(seen) == sorted(started), seen)
    # Newest first, as AWS lists them.
    expect(seen == list(reversed(started)), seen)
    by_paginator = [e["executionArn"] for p in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=machine_arn(PLAIN), statusFilter="SUCCEEDED", PaginationConfig={"PageSize": 2})
        for e in p["executions"]]
    expect(sorted(by_paginator) == sorted(started), by_paginator)
    running = sfn.list_executions(stateMachineArn=machine_arn(PLAIN), statusFilter="RUNNING")["executions"]
    expect(running == [], running)


def history():
    arn = started[4]
    whole = sfn.get_execution_history(executionArn=arn)["events"]
    types = [e["type"] for e in whole]
    expect(types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded", types)
    expect([e["id"] for e in whole] == list(range(1, len(whole) + 1)), "ids")
    expect(all(isinstance(e["timestamp"], datetime.datetime) for e in whole), "timestamps")
    paged = [e for p in sfn.get_paginator("get_execution_history").paginate(
        executionArn=arn, PaginationConfig={"PageSize": 2}) for e in p["events"]]
    expect([e["id"] for e in paged] == [e["id"] for e in whole], "paged history")
    first = sfn.get_execution_history(executionArn=arn, maxResults=2)
    expect(len(first["events"]) == 2 and "nextToken" in first, first)
    backwards = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    expect([e["id"] for e in backwards] == [e["id"] for e in reversed(whole)], "reverseOrder")
    bare = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    expect("input" not in bare[0]["executionStartedEventDetails"], bare[0])
    expect("input" in whole[0]["executionStartedEventDetails"], whole[0])
    for_exec = sfn.describe_state_machine_for_execution(executionArn=arn)
    expect(for_exec["stateMachineArn"] == machine_arn(PLAIN) and for_exec["definition"] == PASS_CHOICE, for_exec)
    expect(isinstance(for_exec["updateDate"], datetime.datetime), for_exec)


def execution_errors():
    expect_error("ExecutionAlreadyExists", lambda: sfn.start_execution(
        stateMachineArn=machine_arn(PLAIN), name="run-1", input='{"n": 99}'))
    expect_error("ExecutionDoesNotExist", lambda: sfn.describe_execution(
        executionArn=f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{PLAIN}:none"))
    expect_error("InvalidExecutionInput", lambda: sfn.start_execution(
        stateMachineArn=machine_arn(PLAIN), input="{not json"))
    expect_error("InvalidName", lambda: sfn.start_execution(
        stateMachineArn=machine_arn(PLAIN), name="bad name"))
    expect_error("StateMachineDoesNotExist", lambda: sfn.start_execution(
        stateMachineArn=machine_arn(f"none-{RUN}")))
    expect_error("ExecutionNotRedrivable", lambda: sfn.redrive_execution(executionArn=started[0]))


def sync_execution():
    r = sfn.start_sync_execution(stateMachineArn=machine_arn(QUICK), name="sync-1", input='{"n": 2}')
    expect(r["status"] == "SUCCEEDED", r)
    expect(json.loads(r["output"]) == {"n": 4, "size": "small"}, r["output"])
    expect(":express:" in r["executionArn"] and r["billingDetails"]["billedDurationInMilliseconds"] >= 100, r)
    expect_error("StateMachineTypeNotSupported", lambda: sfn.start_sync_execution(stateMachineArn=machine_arn(PLAIN)))
    expect_error("StateMachineTypeNotSupported", lambda: sfn.list_executions(stateMachineArn=machine_arn(QUICK)))


# ----- activities, callbacks, redrive -----

def activities():
    arn = activity_arn(REVIEW)
    d = sfn.describe_activity(activityArn=arn)
    expect(d["activityArn"] == arn and d["name"] == REVIEW and isinstance(d["creationDate"], datetime.datetime), d)
    extra = sfn.create_activity(name=f"extra-{RUN}")["activityArn"]
    listed = [a["activityArn"] for p in sfn.get_paginator("list_activities").paginate(
        PaginationConfig={"PageSize": 1}) for a in p["activities"]]
    expect(arn in listed and extra in listed, listed)
    sfn.delete_activity(activityArn=extra)
    expect_error("ActivityDoesNotExist", lambda: sfn.describe_activity(activityArn=extra))
    # Nothing to do: the long poll waits its 60 seconds and answers without a token.
    sfn.create_activity(name=f"idle-{RUN}")
    t0 = time.time()
    got = sfn.get_activity_task(activityArn=activity_arn(f"idle-{RUN}"), workerName="w")
    expect("taskToken" not in got, got)
    expect(time.time() - t0 >= 55, "GetActivityTask waits up to 60 s for a task")
    expect_error("ActivityDoesNotExist", lambda: sfn.get_activity_task(activityArn=activity_arn(f"none-{RUN}")))


def callback_from_a_second_client():
    arn = sfn.start_execution(stateMachineArn=machine_arn(REVIEWS), name="approved",
                              input='{"claim": 1}')["executionArn"]
    answered = []

    def approver():
        other = client()  # a separate session: another client, as another process would be
        task = other.get_activity_task(activityArn=activity_arn(REVIEW), workerName="approver")
        answered.append(task)
        other.send_task_success(taskToken=task["taskToken"], output=json.dumps({"ok": True}))

    t = threading.Thread(target=approver)
    t.start()
    t.join(90)
    expect(answered and json.loads(answered[0]["input"]) == {"claim": 1}, answered)
    wait_status(arn, "SUCCEEDED")
    types = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
    expect(["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"] ==
           [t for t in types if t.startswith("Activity")], types)
    started_event = [e for e in sfn.get_execution_history(executionArn=arn)["events"]
                     if e["type"] == "ActivityStarted"][0]
    expect(started_event["activityStartedEventDetails"]["workerName"] == "approver", started_event)


worker_results = {}


def activity_worker_loop():
    arns = [sfn.start_execution(stateMachineArn=machine_arn(REVIEWS), name=f"claim-{n}",
                                input=json.dumps({"n": n}))["executionArn"] for n in range(4)]
    spent = []

    def worker():
        w = client()
        handled = 0
        while handled < 4:
            task = w.get_activity_task(activityArn=activity_arn(REVIEW), workerName="loop")
            if "taskToken" not in task:
                continue
            token = task["taskToken"]
            n = json.loads(task["input"])["n"]
            w.send_task_heartbeat(taskToken=token)
            if n == 3:
                w.send_task_failure(taskToken=token, error="Worker.Refused", cause="n is 3")
            else:
                w.send_task_success(taskToken=token, output=json.dumps({"ok": n != 2}))
            spent.append(token)
            handled += 1

    t = threading.Thread(target=worker)
    t.start()
    t.join(120)
    expect(len(spent) == 4, spent)
    statuses = [wait_status(a, s) for a, s in zip(arns, ["SUCCEEDED", "SUCCEEDED", "FAILED", "FAILED"])]
    expect(statuses[2]["error"] == "Rejected", statuses[2])
    expect(statuses[3]["error"] == "Worker.Refused" and statuses[3]["cause"] == "n is 3", statuses[3])
    worker_results["refused"] = arns[3]
    # A token whose task is over, and one that never was.
    expect_error("TaskTimedOut", lambda: sfn.send_task_success(taskToken=spent[0], output="{}"))
    expect_error("TaskDoesNotExist", lambda: sfn.send_task_success(taskToken="no-such-token", output="{}"))
    expect_error("InvalidOutput", lambda: sfn.send_task_success(taskToken=spent[0], output="{nope"))


def redrive():
    arn = worker_results["refused"]
    d = sfn.describe_execution(executionArn=arn)
    expect(d["redriveStatus"] == "REDRIVABLE", d)
    r = sfn.redrive_execution(executionArn=arn)
    expect(isinstance(r["redriveDate"], datetime.datetime), r)
    task = sfn.get_activity_task(activityArn=activity_arn(REVIEW), workerName="redrive")
    expect(json.loads(task["input"]) == {"n": 3}, task)
    sfn.send_task_success(taskToken=task["taskToken"], output='{"ok": true}')
    d = wait_status(arn, "SUCCEEDED")
    expect(d["redriveCount"] == 1 and "redriveDate" in d, d)
    types = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
    expect("ExecutionRedriven" in types, types)


def stop():
    arn = sfn.start_execution(stateMachineArn=machine_arn(REVIEWS), name="stopped")["executionArn"]
    r = sfn.stop_execution(executionArn=arn, error="Ops.Cancelled", cause="by the test")
    expect(isinstance(r["stopDate"], datetime.datetime), r)
    d = wait_status(arn, "ABORTED")
    expect(d["error"] == "Ops.Cancelled" and d["cause"] == "by the test", d)
    aborted = sfn.list_executions(stateMachineArn=machine_arn(REVIEWS), statusFilter="ABORTED")["executions"]
    expect([e["executionArn"] for e in aborted] == [arn], aborted)


# ----- TestState -----

TASK = {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "f", "Payload.$": "$.order"},
    "ResultSelector": {"total.$": "$.Payload.total"}, "ResultPath": "$.charge", "Next": "Ship",
}


def test_state():
    p = sfn.test_state(definition=json.dumps({"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "N"}),
                       roleArn=ROLE, input='{"a": 1}')
    expect(p["status"] == "SUCCEEDED" and p["nextState"] == "N" and json.loads(p["output"]) == {"a": 1, "r": {"x": 1}}, p)
    expect("inspectionData" not in p, p)
    for level in ["DEBUG", "TRACE"]:
        t = sfn.test_state(definition=json.dumps(TASK), roleArn=ROLE, input='{"order": {"id": 7}}',
                           inspectionLevel=level, mock={"result": '{"Payload": {"total": 30}}'})
        expect(t["status"] == "SUCCEEDED" and t["nextState"] == "Ship", t)
        expect(json.loads(t["output"]) == {"order": {"id": 7}, "charge": {"total": 30}}, t["output"])
        data = t["inspectionData"]
        expect(json.loads(data["afterParameters"]) == {"FunctionName": "f", "Payload": {"id": 7}}, data)
        expect(json.loads(data["afterResultSelector"]) == {"total": 30}, data)
    failed = sfn.test_state(definition=json.dumps(TASK), roleArn=ROLE, input='{"order": {}}',
                            inspectionLevel="INFO", mock={"errorOutput": {"error": "Card.Declined", "cause": "no"}})
    expect(failed["status"] == "FAILED" and failed["error"] == "Card.Declined", failed)
    caught = dict(TASK, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Recover"}])
    c = sfn.test_state(definition=json.dumps(caught), roleArn=ROLE, input='{"order": {}}',
                       mock={"errorOutput": {"error": "Card.Declined", "cause": "no"}})
    expect(c["status"] == "CAUGHT_ERROR" and c["nextState"] == "Recover", c)
    retried = dict(TASK, Retry=[{"ErrorEquals": ["Card.Declined"], "IntervalSeconds": 2}])
    r = sfn.test_state(definition=json.dumps(retried), roleArn=ROLE, input='{"order": {}}', inspectionLevel="DEBUG",
                       mock={"errorOutput": {"error": "Card.Declined", "cause": "no"}})
    expect(r["status"] == "RETRIABLE", r)
    expect(r["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 2}, r)


# ----- security -----

def wrong_secret_is_refused():
    before = sorted(a["activityArn"] for a in sfn.list_activities()["activities"])
    code = error_code(lambda: client("not-the-secret").create_activity(name=f"forged-{RUN}"))
    expect(code == "InvalidSignatureException", code)
    after = sorted(a["activityArn"] for a in sfn.list_activities()["activities"])
    expect(before == after, "a refused request changed something")
    unsigned = boto3.session.Session().client(
        "stepfunctions", endpoint_url=ENDPOINT, region_name=REGION,
        config=botocore.config.Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))
    code = error_code(lambda: unsigned.list_state_machines())
    expect(code == "MissingAuthenticationTokenException", code)


def delete():
    sfn.delete_state_machine(stateMachineArn=machine_arn(QUICK))
    expect_error("StateMachineDoesNotExist", lambda: sfn.describe_state_machine(stateMachineArn=machine_arn(QUICK)))
    names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    expect(QUICK not in names, names)


# ----- the AWS CLI -----

def aws(*args, ok=True):
    env = dict(os.environ, AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")
    r = subprocess.run(["aws", "stepfunctions", *args, "--endpoint-url", ENDPOINT, "--output", "json"],
                       capture_output=True, text=True, env=env, timeout=120)
    if ok:
        expect(r.returncode == 0, f"aws {' '.join(args)}: {r.stderr}")
        return json.loads(r.stdout) if r.stdout.strip() else {}
    expect(r.returncode != 0, f"aws {' '.join(args)} succeeded")
    return r.stderr


def cli():
    name = f"cli-{RUN}"
    created = aws("create-state-machine", "--name", name, "--role-arn", ROLE, "--definition", PASS_CHOICE)
    arn = created["stateMachineArn"]
    expect(arn == machine_arn(name), created)
    names = [m["name"] for m in aws("list-state-machines")["stateMachines"]]
    expect(name in names, names)
    arns = [aws("start-execution", "--state-machine-arn", arn, "--name", f"c{i}", "--input", json.dumps({"n": i}))
            ["executionArn"] for i in range(5)]
    for a in arns:
        wait_status(a, "SUCCEEDED")
    # The CLI pages through everything by itself, two per request.
    listed = aws("list-executions", "--state-machine-arn", arn, "--page-size", "2")["executions"]
    expect(sorted(e["executionArn"] for e in listed) == sorted(arns), listed)
    d = aws("describe-execution", "--execution-arn", arns[0])
    expect(d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"n": 0, "size": "small"}, d)
    events = aws("get-execution-history", "--execution-arn", arns[0], "--page-size", "2")["events"]
    expect(events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded", events)
    act = aws("create-activity", "--name", f"cli-act-{RUN}")["activityArn"]
    expect(aws("describe-activity", "--activity-arn", act)["name"] == f"cli-act-{RUN}", act)
    err = aws("describe-execution", "--execution-arn", arns[0] + "-missing", ok=False)
    expect("ExecutionDoesNotExist" in err, err)
    val = aws("validate-state-machine-definition", "--definition", PASS_CHOICE)
    expect(val["result"] == "OK", val)
    aws("delete-state-machine", "--state-machine-arn", arn)
    err = aws("describe-state-machine", "--state-machine-arn", arn, ok=False)
    expect("StateMachineDoesNotExist" in err, err)
    env = dict(os.environ, AWS_SECRET_ACCESS_KEY="wrong", AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/dev/null")
    r = subprocess.run(["aws", "stepfunctions", "list-activities", "--endpoint-url", ENDPOINT],
                       capture_output=True, text=True, env=env, timeout=60)
    expect(r.returncode != 0 and "InvalidSignatureException" in r.stderr, r.stderr)


for name, fn in [
    ("boto3: create, describe, idempotent create", create_and_describe),
    ("boto3: state machine errors", machine_errors),
    ("boto3: list state machines, paginated", list_and_page_machines),
    ("boto3: validate definitions", validate),
    ("boto3: update a state machine", update),
    ("boto3: tag, untag, list tags", tags),
    ("boto3: start, describe, list and page executions", start_and_list),
    ("boto3: history pages, reverse order, without data", history),
    ("boto3: execution errors", execution_errors),
    ("boto3: StartSyncExecution on EXPRESS", sync_execution),
    ("boto3: activities and the 60 s long poll", activities),
    ("boto3: a callback answered by a second client", callback_from_a_second_client),
    ("boto3: an activity worker loop with heartbeats and a failure", activity_worker_loop),
    ("boto3: redrive a failed execution", redrive),
    ("boto3: stop an execution", stop),
    ("boto3: TestState with mocks at INFO, DEBUG, TRACE", test_state),
    ("boto3: wrong secret and unsigned requests are refused, nothing changes", wrong_secret_is_refused),
    ("boto3: delete a state machine", delete),
    ("aws cli: the lifecycle, auto-pagination, errors, wrong secret", cli),
]:
    check(name, fn)

print(f"{passed} passed, {failed} failed", flush=True)
sys.exit(1 if failed else 0)
