#!/usr/bin/env python3
"""Regression checks of the harness patches that deploy tests lean on, against a running harness.

    .venv-moto/bin/python tests/harness/patch_checks.py [ENDPOINT]   # default: $AWS_ENDPOINT_URL

Each check is a behaviour of real CloudFormation / Step Functions that plain moto 5.2.5 gets wrong
(the patch number is in moto_harness.py's docstring). Runs in its own region (MOTO_CHECKS_REGION,
default af-south-1, like smoke.py) so it never touches state the tests use. Run by .ci/run after
smoke.py; run it after any change to moto_harness.py or a moto bump.
"""
from __future__ import annotations

import json
import os
import sys
import time
import urllib.request

import boto3
import botocore.exceptions

TOPIC = {"T": {"Type": "AWS::SNS::Topic"}}
BOOTSTRAP_PARAM = "/harness-checks/bootstrap/version"


def main() -> int:
    endpoint = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        print("patch_checks: no endpoint (pass it, or set AWS_ENDPOINT_URL)", file=sys.stderr)
        return 2
    region = os.environ.get("MOTO_CHECKS_REGION", "af-south-1")
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    cfn = session.client("cloudformation", endpoint_url=endpoint)
    ssm = session.client("ssm", endpoint_url=endpoint)
    sfn = session.client("stepfunctions", endpoint_url=endpoint)
    iam = session.client("iam", endpoint_url=endpoint)
    run = f"checks{int(time.time() * 1000)}"
    failures: list[str] = []

    def check(name: str, ok: bool, detail: object = "") -> None:
        print(f"patch_checks: {'ok  ' if ok else 'FAIL'} {name}{'' if ok else f': {detail}'}", flush=True)
        if not ok:
            failures.append(name)

    def refused(call) -> str | None:
        """The ValidationError message of call(), or None when it succeeded."""
        try:
            call()
        except botocore.exceptions.ClientError as e:
            return f"{e.response['Error']['Code']}: {e.response['Error']['Message']}"
        return None

    def deploy(stack: str, template: dict) -> str:
        kind = "UPDATE" if any(s["StackName"] == stack for s in cfn.list_stacks()["StackSummaries"]
                               if s["StackStatus"] != "DELETE_COMPLETE") else "CREATE"
        cs = cfn.create_change_set(StackName=stack, ChangeSetName=f"cs{int(time.time() * 1000)}",
                                   ChangeSetType=kind, TemplateBody=json.dumps(template))
        cfn.execute_change_set(ChangeSetName=cs["Id"])
        return cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]

    # P1/P2: an export made by a change set is importable by a stack made by a change set
    a, b = f"{run}-a", f"{run}-b"
    status = deploy(a, {"Resources": TOPIC, "Outputs": {"Arn": {"Value": {"Ref": "T"},
                                                                "Export": {"Name": f"{run}-TopicArn"}}}})
    status_b = deploy(b, {"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {
        "Type": "String", "Value": {"Fn::ImportValue": f"{run}-TopicArn"}}}}})
    check("P1 ImportValue in a change-set stack", (status, status_b) == ("CREATE_COMPLETE", "CREATE_COMPLETE"),
          (status, status_b))
    # P4 ListImports
    imports = cfn.list_imports(ExportName=f"{run}-TopicArn").get("Imports")
    check("P4 ListImports", imports == [b], imports)
    # P5 no-op UpdateStack
    msg = refused(lambda: cfn.update_stack(StackName=b, UsePreviousTemplate=True))
    check("P5 no-op UpdateStack refused", msg is not None and "No updates are to be performed." in msg, msg)
    # P3 deleting an exporter still imported
    cfn.delete_stack(StackName=a)
    desc = cfn.describe_stacks(StackName=a)["Stacks"][0]
    check("P3 delete of an imported exporter -> DELETE_FAILED",
          desc["StackStatus"] == "DELETE_FAILED" and "in use by" in desc.get("StackStatusReason", ""), desc["StackStatus"])
    # P6 a failing resource -> ROLLBACK_COMPLETE, not an API error
    bad = f"{run}-bad"
    status = deploy(bad, {"Resources": {"P": {"Type": "AWS::SSM::Parameter",
                                              "Properties": {"Type": "NotAType", "Value": "x"}}}})
    check("P6 failing resource -> ROLLBACK_COMPLETE", status == "ROLLBACK_COMPLETE", status)
    # P12 AWS::SSM::Parameter takes its Tags as a map (moto wanted a list and failed the resource)
    tagged = f"{run}-tagged"
    status = deploy(tagged, {"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {
        "Name": f"/{run}/tagged", "Type": "String", "Value": "x", "Tags": {"stackId": "s"}}}}})
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"/{run}/tagged").get("TagList") \
        if status == "CREATE_COMPLETE" else None
    check("P12 SSM::Parameter with a map of Tags", tags == [{"Key": "stackId", "Value": "s"}], (status, tags))
    # P14 SSM-typed parameter and Rules
    template = {
        "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": BOOTSTRAP_PARAM}},
        "Rules": {"CheckBootstrapVersion": {"Assertions": [{
            "Assert": {"Fn::Not": [{"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}]},
            "AssertDescription": "CDK bootstrap stack version 6 required."}]}},
        "Resources": TOPIC,
        "Outputs": {"Version": {"Value": {"Ref": "BootstrapVersion"}}},
    }
    c = f"{run}-c"
    msg = refused(lambda: deploy(c, template))
    check("P14 missing SSM parameter -> ValidationError",
          msg is not None and "Unable to fetch parameters" in msg and BOOTSTRAP_PARAM in msg, msg)
    ssm.put_parameter(Name=BOOTSTRAP_PARAM, Value="3", Type="String", Overwrite=True)
    msg = refused(lambda: deploy(c, template))
    check("P14 false Rules assertion -> ValidationError", msg is not None and "version 6 required" in msg, msg)
    ssm.put_parameter(Name=BOOTSTRAP_PARAM, Value="21", Type="String", Overwrite=True)
    status = deploy(c, template)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=c)["Stacks"][0]["Outputs"]}
    check("P14 SSM parameter resolved, rule passes", (status, outputs.get("Version")) == ("CREATE_COMPLETE", "21"),
          (status, outputs))
    # P0/P15 state machines from CloudFormation run; unnamed executions get distinct names;
    # Lambda tasks answer from the queue (lambda.use_docker=false)
    role = iam.create_role(RoleName=f"{run}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
    sm_stack = f"{run}-sm"
    deploy(sm_stack, {"Resources": {"SM": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "RoleArn": role, "DefinitionString": json.dumps(definition)}}}, "Outputs": {"Arn": {"Value": {"Ref": "SM"}}}})
    sm = cfn.describe_stacks(StackName=sm_stack)["Stacks"][0]["Outputs"][0]["OutputValue"]
    arns = [sfn.start_execution(stateMachineArn=sm)["executionArn"] for _ in range(2)]
    statuses = []
    for arn in arns:
        for _ in range(100):
            d = sfn.describe_execution(executionArn=arn)
            if d["status"] != "RUNNING":
                break
            time.sleep(0.05)
        statuses.append(d["status"])
    check("P0/P15 CFN state machine runs; two unnamed executions",
          len(set(arns)) == 2 and statuses == ["SUCCEEDED", "SUCCEEDED"], (arns, statuses))

    # P16 aws-sdk tasks in PascalCase (ECS's own members are camelCase); an operation moto lacks fails
    # the task (caught) instead of crashing the execution
    ecs = session.client("ecs", endpoint_url=endpoint)
    ecs.create_cluster(clusterName=f"{run}-cluster")
    ecs.register_task_definition(family=f"{run}-task", containerDefinitions=[
        {"name": "app", "image": "nginx", "memory": 128}])
    ecs.create_service(cluster=f"{run}-cluster", serviceName=f"{run}-service", taskDefinition=f"{run}-task",
                       desiredCount=0)
    sdk_definition = {"StartAt": "Describe", "States": {
        "Describe": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ecs:describeServices",
                     "Parameters": {"Cluster": f"{run}-cluster", "Services": [f"{run}-service"]},
                     "ResultSelector": {"Name.$": "$.Services[0].ServiceName",
                                        "Desired.$": "$.Services[0].DesiredCount",
                                        "Created.$": "$.Services[0].Deployments[0].CreatedAt"},
                     "ResultPath": "$.Service", "Next": "Missing"},
        "Missing": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ssm:describeInstanceInformation",
                    "Parameters": {}, "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.Error",
                                                 "Next": "Done"}], "Next": "Done"},
        "Done": {"Type": "Pass", "End": True}}}
    sdk_sm = sfn.create_state_machine(name=f"{run}-sdk", roleArn=role,
                                      definition=json.dumps(sdk_definition))["stateMachineArn"]
    sdk_run = sfn.start_execution(stateMachineArn=sdk_sm)["executionArn"]
    for _ in range(100):
        d = sfn.describe_execution(executionArn=sdk_run)
        if d["status"] != "RUNNING":
            break
        time.sleep(0.05)
    service = json.loads(d.get("output") or "{}").get("Service", {})
    check("P16/P17 aws-sdk task in PascalCase, timestamps as text, a definite path is one value; "
          "a missing operation is caught",
          d["status"] == "SUCCEEDED" and service.get("Name") == f"{run}-service" and service.get("Desired") == 0
          and isinstance(service.get("Created"), str), d)
    sfn.delete_state_machine(stateMachineArn=sdk_sm)
    ecs.delete_service(cluster=f"{run}-cluster", service=f"{run}-service", force=True)
    ecs.delete_cluster(cluster=f"{run}-cluster")

    # P18 change sets say what an update replaces: SSM::Parameter's Name is create-only, Value is not
    repl = f"{run}-repl"
    param = {"Type": "AWS::SSM::Parameter", "Properties": {"Name": f"/{run}/repl", "Type": "String", "Value": "a"}}
    deploy(repl, {"Resources": {"P": param, "Q": {"Type": "AWS::SSM::Parameter",
                                                  "Properties": {"Type": "String", "Value": "q"}}}})
    renamed = {**param, "Properties": {**param["Properties"], "Name": f"/{run}/repl2", "Value": "b"}}
    cs = cfn.create_change_set(StackName=repl, ChangeSetName="review", ChangeSetType="UPDATE",
                               TemplateBody=json.dumps({"Resources": {"P": renamed}}))
    changes = {c["ResourceChange"].get("LogicalResourceId"): c["ResourceChange"]
               for c in cfn.describe_change_set(ChangeSetName=cs["Id"])["Changes"]}
    p_change, q_change = changes.get("P", {}), changes.get("Q", {})
    recreation = {d["Target"]["Name"]: d["Target"]["RequiresRecreation"] for d in p_change.get("Details", [])}
    check("P18 change set Replacement from create-only properties",
          p_change.get("Replacement") == "True" and recreation == {"Name": "Always", "Value": "Never"}
          and q_change.get("Action") == "Remove", changes)
    cfn.delete_change_set(ChangeSetName=cs["Id"])

    # P20 change sets by name within a stack; describing a missing one is ChangeSetNotFound, deleting it succeeds
    msg = refused(lambda: cfn.describe_change_set(StackName=repl, ChangeSetName="no-such-change-set"))
    deleted_missing = refused(lambda: cfn.delete_change_set(StackName=repl, ChangeSetName="no-such-change-set"))
    for stack in (a, repl):
        cfn.create_change_set(StackName=stack, ChangeSetName="same-name", ChangeSetType="UPDATE",
                              TemplateBody=json.dumps({"Resources": {"Extra": {"Type": "AWS::SNS::Topic",
                                                                                "Properties": {"DisplayName": stack}}}}))
    described = cfn.describe_change_set(StackName=repl, ChangeSetName="same-name")
    listed = [c["StackName"] for c in cfn.list_change_sets(StackName=repl)["Summaries"]]
    cfn.delete_change_set(StackName=repl, ChangeSetName="same-name")
    left = [c["ChangeSetName"] for c in cfn.list_change_sets(StackName=a)["Summaries"]]
    check("P20 change sets by name within their stack; missing -> ChangeSetNotFound",
          msg is not None and msg.startswith("ChangeSetNotFound") and deleted_missing is None
          and described["StackName"] == repl
          and set(listed) == {repl} and "same-name" in left, (msg, deleted_missing, described.get("StackName"), listed, left))
    cfn.delete_change_set(StackName=a, ChangeSetName="same-name")

    # P19 AssumeRole of a missing role -> AccessDenied; of an existing role -> credentials
    sts = session.client("sts", endpoint_url=endpoint)
    missing_arn = f"arn:aws:iam::123456789012:role/{run}-missing"
    msg = refused(lambda: sts.assume_role(RoleArn=missing_arn, RoleSessionName="checks"))
    assumed = sts.assume_role(RoleArn=role, RoleSessionName="checks").get("Credentials", {})
    check("P19 AssumeRole of a missing role -> AccessDenied",
          msg is not None and msg.startswith("AccessDenied") and bool(assumed.get("AccessKeyId")), (msg, assumed))

    # P21 a tagged KMS key from CloudFormation (tags as [{Key, Value}])
    kms_stack = f"{run}-kms"
    status = deploy(kms_stack, {"Resources": {"K": {"Type": "AWS::KMS::Key", "Properties": {
        "KeyPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                                                              "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]},
        "Tags": [{"Key": "team", "Value": "shop"}]}}}})
    key_tags: object = None
    if status == "CREATE_COMPLETE":
        key_id = cfn.describe_stack_resource(StackName=kms_stack, LogicalResourceId="K")[
            "StackResourceDetail"]["PhysicalResourceId"]
        key_tags = session.client("kms", endpoint_url=endpoint).list_resource_tags(KeyId=key_id).get("Tags")
    check("P21 a tagged AWS::KMS::Key is created with its tags",
          key_tags == [{"TagKey": "team", "TagValue": "shop"}], (status, key_tags))

    # P22 a modified log group and stubbed secret are updated in place: GetAtt / Ref of them in the same update
    upd_stack = f"{run}-inplace"

    def inplace(retention: int, description: str) -> dict:
        return {"Resources": {
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": retention}},
            "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Description": description}},
            "Uses": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Fn::Join": [
                " ", [{"Fn::GetAtt": ["Logs", "Arn"]}, {"Ref": "Secret"}, description]]}}}}}

    def ids(stack: str) -> dict:
        return {r["LogicalResourceId"]: r.get("PhysicalResourceId")
                for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]}

    created = deploy(upd_stack, inplace(7, "one"))
    first_ids = ids(upd_stack) if created == "CREATE_COMPLETE" else {}
    try:
        updated = deploy(upd_stack, inplace(14, "two"))
    except botocore.exceptions.ClientError as e:
        updated = f"{e.response['Error']['Code']}: {e.response['Error']['Message']}"
    desc = cfn.describe_stacks(StackName=upd_stack)["Stacks"][0]
    after_ids = ids(upd_stack) if updated == "UPDATE_COMPLETE" else {}
    check("P22 a log group and a stubbed secret modified in an update keep their physical ids",
          (created, updated) == ("CREATE_COMPLETE", "UPDATE_COMPLETE") and len(first_ids) == 3
          and all(first_ids[k] == after_ids.get(k) for k in ("Logs", "Secret")),
          (created, updated, desc.get("StackStatusReason"), first_ids, after_ids))

    # P23 new Tags on a bucket with a generated name: updated in place
    bucket_stack = f"{run}-tagged-bucket"

    def tagged_bucket(value: str) -> dict:
        return {"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "k", "Value": value}]}}}}

    created = deploy(bucket_stack, tagged_bucket("one"))
    before = ids(bucket_stack) if created == "CREATE_COMPLETE" else {}
    try:
        updated = deploy(bucket_stack, tagged_bucket("two"))
    except botocore.exceptions.ClientError as e:
        updated = f"{e.response['Error']['Code']}: {e.response['Error']['Message']}"
    bucket_tags: object = None
    if updated == "UPDATE_COMPLETE":
        bucket_tags = session.client("s3", endpoint_url=endpoint).get_bucket_tagging(Bucket=before["B"])["TagSet"]
    check("P23 a bucket without BucketName takes new Tags in place",
          updated == "UPDATE_COMPLETE" and ids(bucket_stack) == before and bucket_tags == [{"Key": "k", "Value": "two"}],
          (created, updated, cfn.describe_stacks(StackName=bucket_stack)["Stacks"][0].get("StackStatusReason"),
           bucket_tags))

    # P24 a security group and an event rule changed in place keep their physical ids
    sg_stack = f"{run}-sg-rule"

    def sg_and_rule(value: str) -> dict:
        return {"Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}},
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": "checks", "VpcId": {"Ref": "Vpc"},
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": value}]}},
            "Rule": {"Type": "AWS::Events::Rule", "Properties": {
                "ScheduleExpression": "rate(1 hour)", "Description": value}}}}

    created = deploy(sg_stack, sg_and_rule("10.0.0.0/8"))
    before = ids(sg_stack) if created == "CREATE_COMPLETE" else {}
    try:
        updated = deploy(sg_stack, sg_and_rule("10.1.0.0/16"))
    except botocore.exceptions.ClientError as e:
        updated = f"{e.response['Error']['Code']}: {e.response['Error']['Message']}"
    after = ids(sg_stack) if updated == "UPDATE_COMPLETE" else {}
    description = None
    if after.get("Rule"):
        description = session.client("events", endpoint_url=endpoint).describe_rule(Name=after["Rule"]).get(
            "Description")
    check("P24 a security group and an event rule updated in place keep their physical ids",
          updated == "UPDATE_COMPLETE" and len(before) == 3 and before == after and description == "10.1.0.0/16",
          (created, updated, before, after, description))

    # P25 an SSM-typed parameter: its name as ParameterValue, its value as ResolvedValue
    ssm_stack, ssm_name = f"{run}-ssm-typed", f"/harness-checks/{run}/value"
    ssm.put_parameter(Name=ssm_name, Value="42", Type="String")
    created = deploy(ssm_stack, {"Parameters": {"V": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": ssm_name}},
                                 "Resources": TOPIC, "Outputs": {"O": {"Value": {"Ref": "V"}}}})
    described = cfn.describe_stacks(StackName=ssm_stack)["Stacks"][0]
    check("P25 an SSM-typed parameter keeps its name as ParameterValue, the value as ResolvedValue",
          created == "CREATE_COMPLETE"
          and described.get("Parameters") == [{"ParameterKey": "V", "ParameterValue": ssm_name, "ResolvedValue": "42"}]
          and described.get("Outputs", [{}])[0].get("OutputValue") == "42",
          (created, described.get("Parameters"), described.get("Outputs")))

    # P26 virtual-time waits in a region that opts in: a 120 s Wait (twice) ends at once and is tallied
    def virtual_waits(body: dict | None) -> dict | str:
        url = f"{endpoint}/moto-api/harness/virtual-waits"
        data = json.dumps(body).encode() if body is not None else None
        try:
            got = urllib.request.urlopen(urllib.request.Request(
                url if body is not None else f"{url}?region={region}", data=data, method="POST" if data else "GET"))
            return json.loads(got.read())
        except Exception as e:  # plain moto: no such route
            return f"{type(e).__name__}: {e}"

    switched_on = virtual_waits({"region": region, "enabled": True})
    wait_definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 120, "Next": "Again"},
                                                  "Again": {"Type": "Wait", "Seconds": 120, "End": True}}}
    wait_sm = sfn.create_state_machine(name=f"{run}-waits", roleArn=role,
                                       definition=json.dumps(wait_definition))["stateMachineArn"]
    wait_run = sfn.start_execution(stateMachineArn=wait_sm)["executionArn"]
    for _ in range(100):
        d = sfn.describe_execution(executionArn=wait_run)
        if d["status"] != "RUNNING":
            break
        time.sleep(0.05)
    tally = virtual_waits(None)
    switched_off = virtual_waits({"region": region, "enabled": False})
    check("P26 Wait states on a virtual clock in a region that opts in",
          d["status"] == "SUCCEEDED" and isinstance(tally, dict) and tally.get("virtualSeconds") == 240
          and isinstance(switched_off, dict) and switched_off.get("enabled") is False,
          (switched_on, d["status"], tally, switched_off))
    if d["status"] == "RUNNING":
        sfn.stop_execution(executionArn=wait_run)
    sfn.delete_state_machine(stateMachineArn=wait_sm)

    req = urllib.request.Request(f"{endpoint}/moto-api/config")
    config = json.loads(urllib.request.urlopen(req).read())
    check("config: Lambda invocations without Docker", config.get("lambda", {}).get("use_docker") is False, config)

    for stack in (b, a, c, sm_stack, bad, tagged, repl, kms_stack, upd_stack, bucket_stack, sg_stack, ssm_stack):
        cfn.delete_stack(StackName=stack)
    ssm.delete_parameter(Name=BOOTSTRAP_PARAM)
    iam.delete_role(RoleName=f"{run}-role")
    print(f"patch_checks: {len(failures)} failed" if failures else "patch_checks: all ok", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
