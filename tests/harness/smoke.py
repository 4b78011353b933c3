#!/usr/bin/env python3
"""Smoke check of a running harness: a change-set deploy, exports, delete.

    .venv-moto/bin/python tests/harness/smoke.py [ENDPOINT]   # default: $AWS_ENDPOINT_URL

Creates a stack with an S3 bucket and an SSM parameter through a CREATE change set, waits,
checks the resources, the outputs and ListExports, deletes the stack and checks that the
export and the resources are gone. Runs in its own region (MOTO_SMOKE_REGION, default
af-south-1) so it never touches state the tests use. Exit code 0 on success; prints one line
per step. .ci/run runs it right after starting the harness; it is also the first thing to
run after bumping moto.
"""
from __future__ import annotations

import json
import os
import sys
import time

import boto3

TEMPLATE = {
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Param": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Bucket", "Arn"]}},
        },
    },
    "Outputs": {
        "BucketName": {"Value": {"Ref": "Bucket"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-BucketName"}}},
        "ParamName": {"Value": {"Ref": "Param"}},
    },
}


def main() -> int:
    endpoint = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        print("smoke: no endpoint (pass it, or set AWS_ENDPOINT_URL)", file=sys.stderr)
        return 2
    region = os.environ.get("MOTO_SMOKE_REGION", "af-south-1")
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    cfn = session.client("cloudformation", endpoint_url=endpoint)
    s3 = session.client("s3", endpoint_url=endpoint)
    ssm = session.client("ssm", endpoint_url=endpoint)
    stack = f"harness-smoke-{int(time.time() * 1000)}"
    fast = {"Delay": 1, "MaxAttempts": 30}
    t0 = time.monotonic()

    def step(msg: str) -> None:
        print(f"smoke: {time.monotonic() - t0:5.2f}s {msg}", flush=True)

    cs = cfn.create_change_set(StackName=stack, ChangeSetName="create", ChangeSetType="CREATE",
                               TemplateBody=json.dumps(TEMPLATE))
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=cs["Id"], WaiterConfig=fast)
    changes = cfn.describe_change_set(ChangeSetName=cs["Id"])["Changes"]
    assert sorted(c["ResourceChange"]["LogicalResourceId"] for c in changes) == ["Bucket", "Param"], changes
    step(f"change set created ({len(changes)} changes)")

    cfn.execute_change_set(ChangeSetName=cs["Id"])
    cfn.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig=fast)
    desc = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    assert desc["StackStatus"] == "CREATE_COMPLETE", desc
    outputs = {o["OutputKey"]: o["OutputValue"] for o in desc["Outputs"]}
    bucket, param = outputs["BucketName"], outputs["ParamName"]
    s3.head_bucket(Bucket=bucket)
    value = ssm.get_parameter(Name=param)["Parameter"]["Value"]
    assert value == f"arn:aws:s3:::{bucket}", value
    step(f"stack {stack} CREATE_COMPLETE: bucket {bucket}, parameter {param} = {value}")

    exports = {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}
    assert exports.get(f"{stack}-BucketName") == bucket, exports
    step(f"ListExports: {stack}-BucketName = {bucket}")

    cfn.delete_stack(StackName=stack)
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack, WaiterConfig=fast)
    exports = {e["Name"] for e in cfn.list_exports()["Exports"]}
    assert f"{stack}-BucketName" not in exports, exports
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]], "bucket left behind"
    assert param not in [p["Name"] for p in ssm.describe_parameters()["Parameters"]], "parameter left behind"
    step("stack deleted; export, bucket and parameter gone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
