#!/usr/bin/env python3
# The project's local AWS endpoint for end-to-end tests: moto 5.2.5 in server mode, started in-process,
# with runtime patches that make its CloudFormation behave like the real service where a deploy tool
# depends on it. Ours now (adopted from the research prototype): keep it working when moto is bumped.
# Started/stopped by tests/harness/start.sh and stop.sh (and .ci/run); summary of what it fixes and what
# it cannot do: tests/harness/README.md; the full study: shared/research/local-aws-harness.md.
"""Local AWS endpoint for end-to-end tests: moto server + CloudFormation fidelity patches.

    python moto_harness.py [--host 127.0.0.1] [--port 0] [--endpoint-file PATH] [--no-patches]

Prints ``MOTO_ENDPOINT=http://HOST:PORT`` on stdout once the server answers, then serves
until SIGTERM/SIGINT. ``--port 0`` (default) lets the kernel pick a free port.

Pin moto==5.2.5: the patches reach into moto internals.

Server config applied at start: stepfunctions.execute_state_machine=true (state machines really
run), lambda.use_docker=false (Lambda invokes answer without Docker: the queued responses posted
to /moto-api/static/lambda-simple/response, else an echo of the payload).

Patches (all in this file, moto itself is untouched) make moto's CloudFormation behave
like the real service in the places an orchestrating deploy tool depends on:
  P0  CloudFormation-created state machines live in the backend the API serves.
  P1  Fn::ImportValue sees the live, region-wide export table (moto: broken for stacks
      created by change sets and for the first stack ever created).
  P2  exports are re-synced after UpdateStack / ExecuteChangeSet (moto: only CreateStack).
  P3  removing/changing an export that another stack imports -> UPDATE_ROLLBACK_COMPLETE;
      deleting such a stack -> DELETE_FAILED ("Export ... is in use by ...").
  P4  ListImports implemented (moto: HTTP 500 NotImplementedError).
  P5  UpdateStack with nothing to change -> ValidationError "No updates are to be performed."
  P6  a resource that fails during create/update -> stack ends ROLLBACK_COMPLETE /
      UPDATE_ROLLBACK_COMPLETE with CREATE_FAILED events, API call succeeds (moto: the
      API call returns the service error and the stack is stuck in CREATE_IN_PROGRESS).
  P7  template pre-validation (bad JSON/YAML, Ref/GetAtt to undefined names) ->
      ValidationError "Template format error: ..." (moto: HTTP 500).
  P8  per-resource stack events (CREATE_IN_PROGRESS/CREATE_COMPLETE/CREATE_FAILED).
  P9  missing Fn::GetAtt attributes / Ref values filled in for the resource types we emit.
  P10 resource types moto does not model get a stub (or a real implementation where
      cheap: SecretsManager::Secret, SNS::Subscription, S3::BucketPolicy) instead of
      being silently dropped. AWS::RDS::DBCluster becomes a real moto RDS cluster.
  P11 {{resolve:secretsmanager:...}} / {{resolve:ssm:...}} dynamic references are resolved.
  P12 smaller moto gaps: SSM::Parameter without Name or with its map of Tags, DBInstance port/engine defaults and
      VPCSecurityGroups, ManagedPolicy / NatGateway / VPCGatewayAttachment deletion.
  P13 DeleteStack: when a moto resource can't be deleted (moto gap), the stack still ends
      DELETE_COMPLETE and the event says what was left behind; MOTO_HARNESS_STRICT_DELETE=1
      makes it DELETE_FAILED instead.
  P14 parameters and Rules checked when CreateStack / UpdateStack / CreateChangeSet is called, as AWS does:
      "Parameters: [X] must have values", "... do not exist in the template", an SSM-typed parameter whose
      SSM parameter is missing -> "Unable to fetch parameters [...] from parameter store for this account."
      (moto: HTTP 500 at create/execute), a false Rules assertion -> ValidationError with its
      AssertDescription (moto ignores Rules: CDK's CheckBootstrapVersion never failed).
  P15 StartExecution without a name gets a UUID name (moto: "None", so a second unnamed execution of the
      same state machine failed with ExecutionAlreadyExists).
  P16 aws-sdk tasks take and return the API's members in PascalCase, as Step Functions does
      ("Cluster", "$.Services[0].RunningCount"; moto passed them to boto as written, so JSON-protocol
      services such as ECS failed with States.Runtime "'Cluster'", and returned boto's casing); a service
      error without a RequestId (an operation moto lacks) fails the task, which a Catch can take (moto:
      the interpreter crashed with States.Runtime "KeyError('RequestId')"); timestamps in a result are
      ISO 8601 text (moto: datetimes, and every later DescribeExecution failed with HTTP 500).
  P17 a definite JSONPath (no wildcard, slice, filter, union or deep scan) selects one value, as in
      Step Functions: moto returned `$.Services[0].RunningCount` as a one-element list, so Choice rules,
      ResultSelector and Parameters on such paths saw `[3]` instead of `3`.
  P18 change sets carry Replacement (True/False/Conditional) and Details[].Target.RequiresRecreation per
      changed property, from the registry schemas' createOnlyProperties (cfn-lint's copy, a moto dependency)
      (moto: Action, LogicalResourceId and ResourceType only).
  P20 DescribeChangeSet / DeleteChangeSet by name look in the given stack; describing a missing change set is
      ChangeSetNotFound, deleting it succeeds (moto: another stack's change set of the same name, or HTTP 500
      on delete); ListChangeSets lists the stack's own (moto: the whole region's).
  P19 AssumeRole of a role that does not exist fails with AccessDenied, as real STS does (moto: anyone assumes
      anything); MOTO_HARNESS_LENIENT_ASSUME_ROLE=1 at start restores moto's behaviour.
  P21 AWS::KMS::Key takes its Tags in CloudFormation's form ([{Key, Value}]); moto passed them to CreateKey,
      which wants [{TagKey, TagValue}], so a tagged key failed with KeyError 'TagKey'.
  P22 a modified resource whose type moto cannot update (AWS::Logs::LogGroup, the P10 stubs) is updated in place,
      same physical id (moto: it became None, so a GetAtt of it in the same update failed with "Fn::GetAtt
      references undefined resource", a Ref of a stubbed secret with SecretNotFoundException).
  P23 updating the Tags of a bucket without BucketName (a generated name) tags that bucket (moto: KeyError
      'BucketName', the update rolled back).
  P24 a security group or event rule modified without a create-only change keeps its physical id (moto deleted
      and re-created both on any change: a new sg- id, a new generated rule name); a rule takes its new properties,
      a security group keeps its old rules.
  P25 DescribeStacks gives an SSM-typed parameter's name as ParameterValue and its value as ResolvedValue, as
      CloudFormation does (moto: the value as ParameterValue, no ResolvedValue).
  P26 virtual-time Wait states, opt-in per account and region (POST /moto-api/harness/virtual-waits
      {"region": R, "enabled": true}): a Wait state of an execution there returns at once and adds its seconds
      to a per-region tally (GET the same path with ?region=R), so a job net that polls every 10-60 s runs
      in milliseconds (moto: every Wait sleeps its real seconds; the seed's machines took minutes).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.request

LIVE_EXCLUDED = {"DELETE_COMPLETE", "REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "CREATE_FAILED", "ROLLBACK_FAILED"}


def apply_patches() -> None:  # noqa: C901 - one place on purpose
    import random
    import string

    import yaml
    from moto.cloudformation import models as cfm
    from moto.cloudformation import parsing as cfp
    from moto.cloudformation import responses as cfr
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.utils import yaml_tag_constructor
    from moto.core.common_models import CloudFormationModel
    from moto.core.responses import ActionResult

    B = cfm.CloudFormationBackend

    def backend(account_id: str, region: str) -> B:
        return cfm.cloudformation_backends[account_id][region]

    def rnd(n: int = 12) -> str:
        return "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(n))

    # ---------------------------------------------------------------- P0 one Step Functions backend
    # With execute_state_machine=True the API is served by the parser backend, but CloudFormation
    # creates state machines in the plain backend -> they would be invisible. Point CFN at the parser one.
    import moto.stepfunctions.models as sfm
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends
    sfm.stepfunctions_backends = stepfunctions_parser_backends

    # P15 StartExecution without a name: AWS generates a UUID; the parser backend names it "None", so
    # the second unnamed execution of a state machine failed with ExecutionAlreadyExists.
    import uuid
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    _orig_start_execution = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        return _orig_start_execution(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    StepFunctionsParserBackend.start_execution = start_execution

    # P16 aws-sdk tasks: members in PascalCase both ways (the parser's normalisation hooks are no-ops),
    # and service errors without a RequestId fail the task instead of crashing the interpreter.
    import datetime
    import functools

    import botocore.session
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    @functools.lru_cache(maxsize=None)
    def sdk_operation(service: str, action: str):
        try:
            model = botocore.session.get_session().get_service_model(service)
            return model.operation_model(action[:1].upper() + action[1:])
        except Exception:  # an unknown service or action fails when it is called, as before
            return None

    def sdk_shape(task, direction: str):
        operation = sdk_operation(task._get_boto_service_name(), task.resource.api_action)
        return getattr(operation, direction, None)

    def sdk_normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
        shape = sdk_shape(self, "input_shape")
        if shape is not None and isinstance(parameters, dict):
            self._to_boto_request(parameters, shape)

    def sdk_timestamps_as_text(value):
        # Step Functions returns the API's timestamps as ISO 8601 text; boto's datetimes made every
        # later DescribeExecution fail ("Object of type datetime is not JSON serializable").
        if isinstance(value, dict):
            for k, v in value.items():
                value[k] = sdk_timestamps_as_text(v)
        elif isinstance(value, list):
            value[:] = [sdk_timestamps_as_text(v) for v in value]
        elif isinstance(value, datetime.datetime):
            return value.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return value

    def sdk_normalise_response(self, response, boto_service_name=None, service_action_name=None):
        shape = sdk_shape(self, "output_shape")
        if shape is not None:
            self._from_boto_response(response, shape)
        sdk_timestamps_as_text(response)

    _orig_sdk_from_error = StateTaskServiceAwsSdk._from_error

    def sdk_from_error(self, env, ex):
        if isinstance(ex, ClientError):
            meta = ex.response.setdefault("ResponseMetadata", {})
            meta.setdefault("RequestId", "")
            meta.setdefault("HTTPStatusCode", 0)
            ex.response.setdefault("Error", {}).setdefault("Message", str(ex))
        return _orig_sdk_from_error(self, env, ex)

    StateTaskServiceAwsSdk._normalise_parameters = sdk_normalise_parameters
    StateTaskServiceAwsSdk._normalise_response = sdk_normalise_response
    StateTaskServiceAwsSdk._from_error = sdk_from_error

    # P17 definite JSONPaths select one value. moto wraps the value of any path through an array index
    # (`$.a[0].b`) in a list (its fix of moto#7825); Step Functions returns a list only for indefinite
    # paths. Every module of the interpreter that imported extract_json gets the wrapper.
    import importlib
    import re as _re_jp

    from jsonpath_ng.ext import parse as jsonpath_parse
    import moto.stepfunctions.parser.asl.utils.json_path as json_path_module

    indefinite = _re_jp.compile(r"\[\s*\*\s*\]|\[[^\]]*:[^\]]*\]|\.\.|\[\s*\?|\[[^\]'\"]*,[^\]]*\]|\.\*")
    _orig_extract_json = json_path_module.extract_json

    def extract_json(path, data):
        if indefinite.search(path):
            return _orig_extract_json(path, data)
        matches = jsonpath_parse(path).find(data)
        if not matches:
            raise json_path_module.NoSuchJsonPathError(json_path=path, data=data)
        return matches[0].value

    import pkgutil

    import moto.stepfunctions.parser.asl as sfn_asl

    for info in pkgutil.walk_packages(sfn_asl.__path__, sfn_asl.__name__ + "."):
        if ".antlr." in info.name:
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # moto ships a few modules of LocalStack's that cannot load; they are unused
            continue
        if getattr(module, "extract_json", None) is _orig_extract_json:
            module.extract_json = extract_json

    # ---------------------------------------------------------------- P1 live exports
    cfp.ResourceMap.cross_stack_resources = property(
        lambda self: backend(self._account_id, self._region_name).exports, lambda self, v: None
    )

    # ---------------------------------------------------------------- import scanning
    def import_names(stack) -> set[str]:
        names: set[str] = set()

        def walk(node):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "Fn::ImportValue":
                        if isinstance(v, str):
                            names.add(v)
                        else:
                            try:
                                names.add(str(cfp.clean_json(v, stack.resource_map)))
                            except Exception:
                                pass
                    else:
                        walk(v)
            elif isinstance(node, list):
                for x in node:
                    walk(x)

        walk(getattr(stack, "template_dict", None) or {})
        return names

    def importers(be, export_name: str, exclude_stack_id: str | None = None) -> list[str]:
        return [s.name for s in be.stacks.values()
                if s.stack_id != exclude_stack_id and s.status not in LIVE_EXCLUDED and export_name in import_names(s)]

    def sync_exports(be, stack) -> None:
        for name in [n for n, e in be.exports.items() if e.exporting_stack_id == stack.stack_id]:
            del be.exports[name]
        for e in stack.exports:
            be.exports[e.name] = e

    def event(stack, status, reason=None, logical=None, physical=None, rtype=None):
        stack.events.append(cfm.Event(
            stack_id=stack.stack_id, stack_name=stack.name,
            logical_resource_id=logical or stack.name,
            physical_resource_id=physical if physical is not None else (stack.stack_id if logical is None else ""),
            resource_type=rtype or "AWS::CloudFormation::Stack",
            resource_status=status, resource_status_reason=reason, resource_properties=None))

    # ---------------------------------------------------------------- P7 pre-validation
    PSEUDO = {"AWS::AccountId", "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
              "AWS::NoValue", "AWS::Partition", "AWS::NotificationARNs"}

    def parse_template(body: str) -> dict:
        yaml.add_multi_constructor("", yaml_tag_constructor)
        try:
            t = json.loads(body)
        except Exception:
            try:
                t = yaml.load(body, Loader=yaml.Loader)
            except Exception as e:
                raise ValidationError(message=f"Template format error: JSON not well-formed. ({str(e).splitlines()[0]})")
        if not isinstance(t, dict) or not isinstance(t.get("Resources"), dict) or not t["Resources"]:
            raise ValidationError(message="Template format error: At least one Resources member must be defined.")
        return t

    def prevalidate(body: str) -> None:
        t = parse_template(body)
        res = set(t["Resources"])
        params = set((t.get("Parameters") or {}).keys())
        bad: list[str] = []

        def walk(node):
            if isinstance(node, dict):
                if "Ref" in node and isinstance(node["Ref"], str):
                    r = node["Ref"]
                    if r not in res and r not in params and r not in PSEUDO:
                        bad.append(r)
                if "Fn::GetAtt" in node:
                    g = node["Fn::GetAtt"]
                    target = g[0] if isinstance(g, list) else str(g).split(".")[0]
                    if target not in res:
                        bad.append(target)
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for x in node:
                    walk(x)

        walk(t["Resources"])
        walk(t.get("Outputs") or {})
        if bad:
            raise ValidationError(message="Template format error: Unresolved resource dependencies "
                                          f"[{', '.join(sorted(set(bad)))}] in the Resources block of the template")

    def body_from_request(resp) -> str | None:
        body = resp._get_param("TemplateBody")
        url = resp._get_param("TemplateURL")
        if not body and url:
            body = resp._get_stack_from_s3_url(url)
        return body

    # ---------------------------------------------------------------- P14 parameters and Rules at submit time
    # AWS resolves the parameters and evaluates the template's Rules when CreateStack / UpdateStack /
    # CreateChangeSet is called, and refuses the call with a ValidationError. moto looks SSM-typed parameters
    # up only while creating resources (a missing one -> HTTP 500, for a change set at ExecuteChangeSet) and
    # ignores Rules, so CDK's CheckBootstrapVersion never fails.
    class _CannotEvaluate(Exception):
        """A rule function that needs AWS lookups (Fn::RefAll, Fn::ValueOf, ...): the rule is skipped."""

    def ssm_value(account_id: str, region: str, name: str) -> str | None:
        from moto.ssm.models import ssm_backends
        param = ssm_backends[account_id][region].get_parameter(name)
        return None if param is None else param.value

    def rule_eval(node, values: dict, pseudo: dict):
        if isinstance(node, list):
            return [rule_eval(x, values, pseudo) for x in node]
        if not isinstance(node, dict):
            return node
        if len(node) != 1:
            raise _CannotEvaluate(node)
        (fn, arg), = node.items()
        ev = lambda x: rule_eval(x, values, pseudo)  # noqa: E731
        scalar = lambda x: x if isinstance(x, list) else str(x)  # noqa: E731 - CFN compares as strings
        if fn == "Ref":
            if arg in values:
                return values[arg]
            if arg in pseudo:
                return pseudo[arg]
            raise _CannotEvaluate(arg)
        if fn == "Fn::Not":
            return not ev(arg[0])
        if fn == "Fn::And":
            return all(ev(x) for x in arg)
        if fn == "Fn::Or":
            return any(ev(x) for x in arg)
        if fn == "Fn::Equals":
            return scalar(ev(arg[0])) == scalar(ev(arg[1]))
        if fn == "Fn::Contains":
            return scalar(ev(arg[1])) in [scalar(x) for x in ev(arg[0])]
        if fn == "Fn::EachMemberEquals":
            return all(scalar(x) == scalar(ev(arg[1])) for x in ev(arg[0]))
        if fn == "Fn::EachMemberIn":
            allowed = [scalar(x) for x in ev(arg[1])]
            return all(scalar(x) in allowed for x in ev(arg[0]))
        raise _CannotEvaluate(fn)

    def check_parameters_and_rules(template: dict, given: dict, account_id: str, region: str) -> None:
        decls = template.get("Parameters") or {}
        unknown = [k for k in given if k not in decls]
        if unknown:
            raise ValidationError(message=f"Parameters: [{', '.join(unknown)}] do not exist in the template")
        values, missing, missing_ssm = {}, [], []
        for name, decl in decls.items():
            value = given.get(name, decl.get("Default"))
            if value is None:
                missing.append(name)
                continue
            ptype = str(decl.get("Type", "String"))
            if ptype.startswith("AWS::SSM::Parameter::Value<"):
                resolved = ssm_value(account_id, region, str(value))
                if resolved is None:
                    missing_ssm.append(str(value))
                    continue
                value = resolved.split(",") if "List<" in ptype else resolved
            elif ptype == "CommaDelimitedList" or ptype.startswith("List<"):
                value = str(value).split(",")
            values[name] = value
        if missing:
            raise ValidationError(message=f"Parameters: [{', '.join(missing)}] must have values")
        if missing_ssm:
            raise ValidationError(message=f"Unable to fetch parameters [{','.join(missing_ssm)}] "
                                          "from parameter store for this account.")
        pseudo = {"AWS::Region": region, "AWS::AccountId": account_id, "AWS::Partition": "aws"}
        for rule_name, rule in (template.get("Rules") or {}).items():
            try:
                if "RuleCondition" in rule and not rule_eval(rule["RuleCondition"], values, pseudo):
                    continue
                for assertion in rule.get("Assertions") or []:
                    if not rule_eval(assertion.get("Assert"), values, pseudo):
                        raise ValidationError(message=assertion.get("AssertDescription")
                                              or f"Template error: rule {rule_name} failed validation")
            except _CannotEvaluate:
                continue

    def request_parameters(resp) -> dict:
        """The parameter values a request asks for; UsePreviousValue -> the stack's previous input."""
        out, stack = {}, None
        for p in resp._get_param("Parameters", []) or []:
            key = p.get("ParameterKey")
            if str(p.get("UsePreviousValue", "")).lower() == "true":
                if stack is None:
                    stack = resp.cloudformation_backend.get_stack(resp._get_param("StackName"))
                previous = dict(getattr(stack, "parameters", None) or {})
                out[key] = previous.get(key, stack.stack_parameters.get(key))
            else:
                out[key] = p.get("ParameterValue")
        return out

    # moto itself: a missing SSM parameter is a ValidationError, not an AttributeError (HTTP 500)
    _orig_parse_ssm = cfp.ResourceMap.parse_ssm_parameter

    def parse_ssm_parameter(self, value, value_type):
        if ssm_value(self._account_id, self._region_name, value) is None:
            raise ValidationError(message=f"Unable to fetch parameters [{value}] from parameter store for this account.")
        return _orig_parse_ssm(self, value, value_type)

    cfp.ResourceMap.parse_ssm_parameter = parse_ssm_parameter

    for op in ("create_stack", "update_stack", "create_change_set"):
        orig = getattr(cfr.CloudFormationResponse, op)

        def wrapper(self, _orig=orig):
            body = body_from_request(self)
            if not body and self._get_bool_param("UsePreviousTemplate", False):
                body = self.cloudformation_backend.get_stack(self._get_param("StackName")).template
            if body:
                prevalidate(body)
                be = self.cloudformation_backend
                check_parameters_and_rules(parse_template(body), request_parameters(self), be.account_id, be.region_name)
            return _orig(self)

        setattr(cfr.CloudFormationResponse, op, wrapper)

    # ---------------------------------------------------------------- P5 no-op update
    # (UpdateStack only; a no-op *change set* already behaves like AWS: status FAILED + reason)
    orig_update_stack_resp = cfr.CloudFormationResponse.update_stack

    def update_stack_resp(self):
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        body = stack.template if self._get_bool_param("UsePreviousTemplate", False) else body_from_request(self)
        incoming = self._get_param("Parameters", [])
        new_params = self._get_param_values(incoming, stack.stack_parameters) if incoming else stack.stack_parameters
        if body and stack.template == body and stack.stack_parameters == new_params:
            raise ValidationError(stack.name, message="No updates are to be performed.")
        return orig_update_stack_resp(self)

    cfr.CloudFormationResponse.update_stack = update_stack_resp

    # ---------------------------------------------------------------- P6 create with rollback
    class _NoOutputs:  # a rolled-back create has no outputs/exports (and its resources are gone)
        exports: list = []

        def values(self):
            return []

    def fail_and_rollback(stack, err, kind="CREATE"):
        reason = f"{type(err).__name__}: {getattr(err, 'message', None) or err}"
        if kind == "CREATE":
            event(stack, "CREATE_FAILED", "The following resource(s) failed to create. " + reason)
            event(stack, "ROLLBACK_IN_PROGRESS", reason)
            rm = stack.resource_map
            try:
                rm.delete()
            except Exception:
                pass
            # keep only what was really created, so later Describe* calls don't lazily re-create resources
            rm._resource_json_map = {k: v for k, v in rm._resource_json_map.items() if k in rm._parsed_resources}
            stack.output_map = _NoOutputs()
            event(stack, "ROLLBACK_COMPLETE")
            stack.status = "ROLLBACK_COMPLETE"
        else:
            event(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
            event(stack, "UPDATE_ROLLBACK_COMPLETE")
            stack.status = "UPDATE_ROLLBACK_COMPLETE"
        stack.status_reason = reason

    def create_stack(self, name, template, parameters, notification_arns=None, tags=None, role_arn=None,
                     enable_termination_protection=False, timeout_in_mins=None, stack_policy_body=None):
        if name in [s.name for s in self.stacks.values()]:
            raise cfm.AlreadyExistsException(f"Stack {name} already exists")
        stack_id = cfm.generate_stack_id(name, self.region_name, self.account_id)
        stack = cfm.Stack(stack_id=stack_id, name=name, template=template, parameters=parameters,
                          account_id=self.account_id, region_name=self.region_name,
                          notification_arns=notification_arns, tags=tags, role_arn=role_arn,
                          cross_stack_resources=self.exports,
                          enable_termination_protection=enable_termination_protection,
                          timeout_in_mins=timeout_in_mins, stack_policy_body=stack_policy_body)
        self.stacks[stack_id] = stack
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        try:
            stack.create_resources()
            for e in stack.exports:
                other = self.exports.get(e.name)
                if other is not None and other.exporting_stack_id != stack_id:
                    other_name = self.stacks[other.exporting_stack_id].name if other.exporting_stack_id in self.stacks else other.exporting_stack_id
                    raise ValidationError(message=f"Export with name {e.name} is already exported by stack {other_name}")
            sync_exports(self, stack)
        except Exception as err:  # noqa: BLE001 - mirror CFN: any resource error -> rollback
            fail_and_rollback(stack, err)
        return stack

    B.create_stack = create_stack

    # ---------------------------------------------------------------- P3/P6 update with export checks
    def check_export_changes(be, stack, new_exports: dict[str, object]) -> None:
        for name, e in list(be.exports.items()):
            if e.exporting_stack_id != stack.stack_id:
                continue
            users = importers(be, name, exclude_stack_id=stack.stack_id)
            if not users:
                continue
            if name not in new_exports:
                raise ValidationError(message=f"Export {name} cannot be deleted as it is in use by {', '.join(users)}")
            if new_exports[name] != e.value:
                raise ValidationError(message=f"Export {name} cannot be updated as it is in use by {', '.join(users)}")
        for name in new_exports:
            other = be.exports.get(name)
            if other is not None and other.exporting_stack_id != stack.stack_id:
                raise ValidationError(message=f"Export with name {name} is already exported by stack {other.exporting_stack_id}")

    orig_stack_update = cfm.Stack.update

    def stack_update(self, template, role_arn=None, parameters=None, tags=None):
        be = backend(self.account_id, self.region_name)
        old_template = self.template
        try:
            orig_stack_update(self, template, role_arn=role_arn, parameters=parameters, tags=tags)
            check_export_changes(be, self, {e.name: e.value for e in self.exports})
            sync_exports(be, self)
        except Exception as err:  # noqa: BLE001
            # best effort: restore template text so a retry with the same template is not a no-op
            self.template = old_template
            self._parse_template()
            self.output_map = self._create_output_map()
            fail_and_rollback(self, err, kind="UPDATE")

    cfm.Stack.update = stack_update

    # change sets: CREATE -> like create_stack, UPDATE -> like update
    def execute_change_set(self, change_set_name, stack_name=None):
        cs = self.change_sets.get(change_set_name) or next(
            (c for c in self.change_sets.values() if c.change_set_name == change_set_name
             and (stack_name is None or c.stack_name == stack_name or c.stack_id == stack_name)), None)
        if cs is None:
            raise ValidationError(stack_name)
        if cs.execution_status != "AVAILABLE":
            raise cfm.ValidationError(message=f"ChangeSet [{cs.change_set_id}] cannot be executed in its current execution status of [{cs.execution_status}]")
        stack = self.stacks[cs.stack_id]
        if cs.change_set_type == "CREATE":
            stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
            stack.template = cs.template
            stack._parse_template()
            stack.parameters = cs.parameters
            stack.resource_map = stack._create_resource_map()
            stack.output_map = stack._create_output_map()
            try:
                stack.create_resources()
                check_export_changes(self, stack, {e.name: e.value for e in stack.exports})
                sync_exports(self, stack)
            except Exception as err:  # noqa: BLE001
                fail_and_rollback(stack, err)
        else:
            stack.update(cs.template, parameters=cs.parameters)
        cs.execution_status = "EXECUTE_COMPLETE" if not stack.status.endswith("ROLLBACK_COMPLETE") else "EXECUTE_FAILED"
        for other in self.change_sets.values():  # other pending change sets become obsolete
            if other is not cs and other.stack_id == cs.stack_id and other.execution_status == "AVAILABLE":
                other.execution_status = "OBSOLETE"

    B.execute_change_set = execute_change_set

    # ---------------------------------------------------------------- P3 delete with export check

    def delete_stack(self, name_or_stack_id):
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None)
        if stack is None:
            return  # real CFN: deleting a non-existent stack is a no-op success
        in_use = [(n, importers(self, n, exclude_stack_id=stack.stack_id))
                  for n, e in self.exports.items() if e.exporting_stack_id == stack.stack_id]
        in_use = [(n, u) for n, u in in_use if u]
        if in_use:
            n, users = in_use[0]
            event(stack, "DELETE_IN_PROGRESS", "User Initiated")
            reason = f"Export {n} cannot be deleted as it is in use by {', '.join(users)}"
            event(stack, "DELETE_FAILED", reason)
            stack.status = "DELETE_FAILED"
            stack.status_reason = reason
            return
        for n in [n for n, e in self.exports.items() if e.exporting_stack_id == stack.stack_id]:
            del self.exports[n]
        try:
            stack.delete()
        except Exception as err:  # noqa: BLE001 - a moto gap in some resource's delete
            reason = f"{type(err).__name__}: {getattr(err, 'message', None) or err}"
            if os.environ.get("MOTO_HARNESS_STRICT_DELETE") == "1":
                event(stack, "DELETE_FAILED", reason)
                stack.status, stack.status_reason = "DELETE_FAILED", reason
                return
            # tolerant (default): finish the delete, leave moto-side orphans, say so in the events
            event(stack, "DELETE_COMPLETE", "harness: some resources left behind in moto: " + reason)
            stack.status = "DELETE_COMPLETE"
        self.deleted_stacks[stack.stack_id] = stack
        self.stacks.pop(stack.stack_id, None)

    B.delete_stack = delete_stack

    # status_reason is not rendered by moto; expose it
    cfm.Stack.status_reason = None
    if not hasattr(cfm.Stack, "stack_status_reason"):
        cfm.Stack.stack_status_reason = property(lambda self: self.status_reason)

    # ---------------------------------------------------------------- P4 ListImports
    def list_imports(self):
        name = self._get_param("ExportName")
        be = self.cloudformation_backend
        if name not in be.exports:
            raise ValidationError(message=f"Export '{name}' does not exist.")
        users = importers(be, name)
        if not users:
            raise ValidationError(message=f"Export '{name}' is not imported by any stack.")
        return ActionResult({"Imports": users})

    cfr.CloudFormationResponse.list_imports = list_imports

    # ---------------------------------------------------------------- P8 per-resource events
    orig_pcr = cfp.parse_and_create_resource

    def parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
        be = backend(account_id, region_name)
        stack = be.stacks.get(resources_map.stack_id)
        rtype = resource_json.get("Type")
        if stack is not None:
            event(stack, "CREATE_IN_PROGRESS", logical=logical_id, physical="", rtype=rtype)
        try:
            res = orig_pcr(logical_id, resource_json, resources_map, account_id, region_name)
        except Exception as err:
            if stack is not None:
                event(stack, "CREATE_FAILED", f"{type(err).__name__}: {getattr(err, 'message', None) or err}",
                      logical=logical_id, physical="", rtype=rtype)
            raise
        if stack is not None:
            phys = getattr(res, "physical_resource_id", None) if res is not None else None
            event(stack, "CREATE_COMPLETE", logical=logical_id, physical=str(phys or ""), rtype=rtype)
        return res

    cfp.parse_and_create_resource = parse_and_create_resource

    # ---------------------------------------------------------------- P9 attributes / Ref fixes
    from moto.awslambda.models import Permission
    from moto.ec2.models.elastic_ip_addresses import ElasticAddress
    from moto.ec2.models.flow_logs import FlowLogs
    from moto.ec2.models.instances import Instance
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.ec2.models.route_tables import RouteTable
    from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupIngress
    from moto.ec2.models.subnets import Subnet, SubnetRouteTableAssociation
    from moto.ec2.models.vpcs import VPC
    from moto.elbv2.models import FakeListener, FakeListenerRule, FakeLoadBalancer, FakeTargetGroup
    from moto.iam.models import InlinePolicy, ManagedPolicy
    from moto.rds.models import DBInstance, DBSubnetGroup
    from moto.sns.models import Topic
    from moto.ssm.models import Parameter as SsmParameter
    from moto.stepfunctions.models import StateMachine

    def lb_full_name(arn: str) -> str:
        return arn.split(":loadbalancer/", 1)[1]

    EXTRA = {
        VPC: {"VpcId": lambda r: r.id, "DefaultNetworkAcl": lambda r: f"acl-{r.id[4:]}"[:21]},
        Subnet: {"SubnetId": lambda r: r.id, "VpcId": lambda r: r.vpc_id, "CidrBlock": lambda r: r.cidr_block,
                 "AvailabilityZone": lambda r: r.availability_zone},
        InternetGateway: {"InternetGatewayId": lambda r: r.id},
        RouteTable: {"RouteTableId": lambda r: r.id},
        SubnetRouteTableAssociation: {"Id": lambda r: r.physical_resource_id},
        NatGateway: {"NatGatewayId": lambda r: r.id},
        ElasticAddress: {"PublicIp": lambda r: r.public_ip},
        SecurityGroup: {"VpcId": lambda r: r.vpc_id},
        SecurityGroupIngress: {"Id": lambda r: r.physical_resource_id},
        FlowLogs: {"Id": lambda r: r.id},
        Instance: {"InstanceId": lambda r: r.id, "PublicIp": lambda r: r.public_ip or "",
                   "PublicDnsName": lambda r: r.public_dns or ""},
        FakeLoadBalancer: {"LoadBalancerArn": lambda r: r.arn, "LoadBalancerFullName": lambda r: lb_full_name(r.arn),
                           "CanonicalHostedZoneID": lambda r: "Z35SXDOTRQ7X7K",
                           "SecurityGroups": lambda r: list(r.security_groups)},
        FakeTargetGroup: {"TargetGroupArn": lambda r: r.arn, "TargetGroupName": lambda r: r.name,
                          "TargetGroupFullName": lambda r: r.arn.split(":", 5)[5],
                          "LoadBalancerArns": lambda r: list(r.load_balancer_arns)},
        FakeListener: {"ListenerArn": lambda r: r.arn},
        FakeListenerRule: {"RuleArn": lambda r: r.arn},
        DBInstance: {"DBInstanceArn": lambda r: r.db_instance_arn},
        InlinePolicy: {"Id": lambda r: r.physical_resource_id},
        ManagedPolicy: {"PolicyArn": lambda r: r.arn, "PolicyId": lambda r: r.id},
        StateMachine: {"Arn": lambda r: r.arn, "StateMachineRevisionId": lambda r: getattr(r, "revision_id", None) or r.arn},
        Topic: {"TopicArn": lambda r: r.arn},
        SsmParameter: {"Type": lambda r: r.parameter_type, "Value": lambda r: r.value},
    }
    for cls, attrs in EXTRA.items():
        orig_has = getattr(cls, "has_cfn_attr", None)
        orig_get = getattr(cls, "get_cfn_attribute", None)

        def has_cfn_attr(klass, attr, _attrs=attrs, _orig=orig_has):
            return attr in _attrs or (_orig is not None and _orig.__func__(klass, attr))

        def get_cfn_attribute(self, attr, _attrs=attrs, _orig=orig_get):
            if attr in _attrs:
                return _attrs[attr](self)
            if _orig is None:
                raise NotImplementedError(f'"Fn::GetAtt" : [ "{{0}}" , "{attr}" ]"')
            return _orig(self, attr)

        cls.has_cfn_attr = classmethod(has_cfn_attr)
        cls.get_cfn_attribute = get_cfn_attribute

    # Ref returned a Python repr for these (no physical_resource_id)
    SecurityGroupIngress.physical_resource_id = property(
        lambda self: self.__dict__.setdefault("_phys", "sgr-" + "".join(random.choice("0123456789abcdef") for _ in range(17))))
    DBSubnetGroup.physical_resource_id = property(lambda self: self.name)
    DBInstance.default_engine_versions.setdefault("aurora-postgresql", "15.4")
    DBInstance.default_engine_versions.setdefault("aurora-mysql", "8.0.mysql_aurora.3.05.2")
    Permission.physical_resource_id = property(lambda self: self.__dict__.setdefault("_phys", "perm-" + rnd()))
    # DBInstance Endpoint.Port defaulted to 3306 whatever the engine
    _orig_db_attr = DBInstance.get_cfn_attribute

    def db_get_attr(self, attr):
        if attr == "Endpoint.Port" and "postgres" in (self.engine or ""):
            return "5432"
        return _orig_db_attr(self, attr)

    DBInstance.get_cfn_attribute = db_get_attr
    _orig_db_create = DBInstance.create_from_cloudformation_json.__func__

    class _Named:
        def __init__(self, name):
            self.name = name

    def db_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
        p = cloudformation_json["Properties"]
        if isinstance(p.get("DBSubnetGroupName"), str):  # Ref now yields the name, moto wants the object
            p["DBSubnetGroupName"] = _Named(p["DBSubnetGroupName"])
        if "VPCSecurityGroups" in p and "VpcSecurityGroupIds" not in p:  # CFN property name vs moto's
            p["VpcSecurityGroupIds"] = p["VPCSecurityGroups"]
        return _orig_db_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)

    DBInstance.create_from_cloudformation_json = classmethod(db_create)
    # SSM::Parameter without Name -> moto 500s; CFN generates one
    from moto.ssm.models import Parameter as SsmParameter
    _orig_ssm_create = SsmParameter.create_from_cloudformation_json.__func__

    def ssm_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
        props = cloudformation_json["Properties"]
        props.setdefault("Name", resource_name)
        # AWS::SSM::Parameter Tags is a JSON object (key -> value); moto's put_parameter wants [{Key, Value}]
        if isinstance(props.get("Tags"), dict):
            props["Tags"] = [{"Key": k, "Value": v} for k, v in props["Tags"].items()]
        return _orig_ssm_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)

    SsmParameter.create_from_cloudformation_json = classmethod(ssm_create)

    # AWS::IAM::ManagedPolicy has no CFN delete in moto -> roles it is attached to can't be deleted.
    # CFN detaches the policy from its roles/users/groups and deletes it.
    def managed_policy_delete(self, account_id, region_name):
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition
        be = iam_backends[account_id][get_partition(region_name)]
        for role in be.roles.values():
            if self.arn in role.managed_policies:
                be.detach_role_policy(self.arn, role.name)
        for user in be.users.values():
            if self.arn in user.managed_policies:
                be.detach_user_policy(self.arn, user.name)
        for group in be.groups.values():
            if self.arn in group.managed_policies:
                be.detach_group_policy(self.arn, group.name)
        be.managed_policies.pop(self.arn, None)

    ManagedPolicy.delete = managed_policy_delete

    # EC2 network resources moto can create via CFN but not delete via CFN
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment

    def nat_delete(self, account_id, region_name):
        ec2_backends[account_id][region_name].delete_nat_gateway(self.id)
        ec2_backends[account_id][region_name].nat_gateways.pop(self.id, None)

    def igw_att_delete(self, account_id, region_name):
        be = ec2_backends[account_id][region_name]
        if self.gateway_id.startswith("igw-"):
            be.detach_internet_gateway(self.gateway_id, self.vpc_id)
        else:
            be.detach_vpn_gateway(self.gateway_id, self.vpc_id)

    NatGateway.delete = nat_delete
    VPCGatewayAttachment.delete = igw_att_delete

    # ---------------------------------------------------------------- P10 unmodelled types
    class StubResource(CloudFormationModel):
        """Generic stand-in: has a physical id, Ref works, any GetAtt returns a plausible string."""
        __module__ = "moto.cloudformation.harness_stub"  # moto's model metaclass derives the service from this

        def __init__(self, name, rtype, props, account_id, region):
            self.name, self.rtype, self.props = name, rtype, props
            self.account_id, self.region = account_id, region
            self.id = name

        @staticmethod
        def cloudformation_name_type():
            return ""

        @staticmethod
        def cloudformation_type():
            return "Custom::Stub"

        @classmethod
        def has_cfn_attr(cls, attr):
            return True

        @property
        def physical_resource_id(self):
            return self.id

        def get_cfn_attribute(self, attr):
            svc = self.rtype.split("::")[1].lower()
            if attr.endswith("Arn") or attr == "Arn":
                return f"arn:aws:{svc}:{self.region}:{self.account_id}:{self.rtype.split('::')[2].lower()}/{self.id}"
            if attr.endswith("Address"):
                return f"{self.id.lower()}.cluster-abcdefghijkl.{self.region}.rds.amazonaws.com"
            if attr.endswith("Port"):
                return "5432" if "postgres" in json.dumps(self.props, default=str) else "3306"
            return f"{self.id}"

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            rtype = kwargs.get("ResourceType", "AWS::Unknown::Unknown")
            return cls(resource_name, rtype, cloudformation_json.get("Properties", {}), account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
            pass

        def delete(self, account_id, region_name):
            pass

    class SecretResource(StubResource):
        __module__ = "moto.cloudformation.harness_stub"

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            from moto.secretsmanager.models import secretsmanager_backends
            props = cloudformation_json.get("Properties", {})
            be = secretsmanager_backends[account_id][region_name]
            value = props.get("SecretString")
            gen = props.get("GenerateSecretString")
            if value is None and gen is not None:
                pw = be.get_random_password(
                    password_length=int(gen.get("PasswordLength", 32)),
                    exclude_characters=gen.get("ExcludeCharacters", ""),
                    exclude_numbers=bool(gen.get("ExcludeNumbers", False)),
                    exclude_punctuation=bool(gen.get("ExcludePunctuation", False)),
                    exclude_uppercase=bool(gen.get("ExcludeUppercase", False)),
                    exclude_lowercase=bool(gen.get("ExcludeLowercase", False)),
                    include_space=bool(gen.get("IncludeSpace", False)),
                    require_each_included_type=bool(gen.get("RequireEachIncludedType", True)),
                )
                pw = (json.loads(pw) if isinstance(pw, str) else pw)["RandomPassword"]
                if gen.get("SecretStringTemplate") and gen.get("GenerateStringKey"):
                    d = json.loads(gen["SecretStringTemplate"])
                    d[gen["GenerateStringKey"]] = pw
                    value = json.dumps(d)
                else:
                    value = pw
            name = props.get("Name") or resource_name
            secret = be.create_secret(name=name, secret_string=value or "", secret_binary=None,
                                      description=props.get("Description"), tags=props.get("Tags", []),
                                      kms_key_id=props.get("KmsKeyId"), client_request_token=None,
                                      replica_regions=[], force_overwrite=False)
            arn = json.loads(secret)["ARN"] if isinstance(secret, str) else secret["ARN"]
            obj = cls(arn, "AWS::SecretsManager::Secret", props, account_id, region_name)
            obj.secret_name = name
            return obj

        def get_cfn_attribute(self, attr):
            if attr == "Id":
                return self.id
            return super().get_cfn_attribute(attr)

        def delete(self, account_id, region_name):
            from moto.secretsmanager.models import secretsmanager_backends
            try:
                secretsmanager_backends[account_id][region_name].delete_secret(
                    secret_id=self.id, recovery_window_in_days=None, force_delete_without_recovery=True)
            except Exception:
                pass

    class SubscriptionResource(StubResource):
        __module__ = "moto.cloudformation.harness_stub"

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            from moto.sns.models import sns_backends
            p = cloudformation_json["Properties"]
            sub = sns_backends[account_id][region_name].subscribe(p["TopicArn"], p.get("Endpoint"), p["Protocol"])
            obj = cls(sub.arn, "AWS::SNS::Subscription", p, account_id, region_name)
            return obj

        def get_cfn_attribute(self, attr):
            return self.id if attr == "Arn" else super().get_cfn_attribute(attr)

    class BucketPolicyResource(StubResource):
        __module__ = "moto.cloudformation.harness_stub"

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            from moto.s3.models import s3_backends
            p = cloudformation_json["Properties"]
            s3_backends[account_id]["global"].put_bucket_policy(p["Bucket"], json.dumps(p["PolicyDocument"]).encode())
            return cls(f"{p['Bucket']}-policy-{rnd(6)}", "AWS::S3::BucketPolicy", p, account_id, region_name)

    class DBClusterResource(StubResource):
        __module__ = "moto.cloudformation.harness_stub"

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            from moto.rds.models import rds_backends
            p = cloudformation_json["Properties"]
            ident = (p.get("DBClusterIdentifier") or resource_name).lower()
            cl = rds_backends[account_id][region_name].create_db_cluster({
                "db_cluster_identifier": ident, "engine": p.get("Engine", "aurora-postgresql"),
                "engine_version": p.get("EngineVersion"), "master_username": p.get("MasterUsername"),
                "master_user_password": p.get("MasterUserPassword"),
                "manage_master_user_password": p.get("ManageMasterUserPassword", False),
                "db_subnet_group_name": p.get("DBSubnetGroupName"), "database_name": p.get("DatabaseName"),
                "vpc_security_group_ids": p.get("VpcSecurityGroupIds", []), "port": p.get("Port"),
                "storage_encrypted": p.get("StorageEncrypted", False), "tags": p.get("Tags", []),
                "deletion_protection": p.get("DeletionProtection", False)})
            obj = cls(ident, "AWS::RDS::DBCluster", p, account_id, region_name)
            obj.cluster = cl
            return obj

        def get_cfn_attribute(self, attr):
            c = self.cluster
            host = f"{self.id}.cluster-{c.url_identifier}.{self.region}.rds.amazonaws.com"
            return {"Endpoint.Address": host, "ReadEndpoint.Address": host.replace(".cluster-", ".cluster-ro-"),
                    "Endpoint.Port": str(c.port), "DBClusterArn": c.db_cluster_arn,
                    "DBClusterResourceId": c.resource_id}.get(attr) or super().get_cfn_attribute(attr)

        def delete(self, account_id, region_name):
            from moto.rds.models import rds_backends
            try:
                rds_backends[account_id][region_name].delete_db_cluster(cluster_identifier=self.id, snapshot_name=None)
            except Exception:
                pass

    SPECIAL = {"AWS::RDS::DBCluster": DBClusterResource, "AWS::SecretsManager::Secret": SecretResource, "AWS::SNS::Subscription": SubscriptionResource,
               "AWS::S3::BucketPolicy": BucketPolicyResource}
    orig_rcft = cfp.resource_class_from_type

    def resource_class_from_type(resource_type):
        cls = orig_rcft(resource_type)
        if cls is None and resource_type not in cfp.NULL_MODELS:
            return SPECIAL.get(resource_type, StubResource)
        return cls

    cfp.resource_class_from_type = resource_class_from_type

    # dynamic references {{resolve:secretsmanager:...}} / {{resolve:ssm:...}} in resource properties
    import re as _re
    DYN = _re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):([^}]*)\}\}")

    def resolve_dynamic(value, account_id, region):
        def one(m):
            svc, rest = m.group(1), m.group(2)
            if svc.startswith("ssm"):
                from moto.ssm.models import ssm_backends
                name, _, ver = rest.partition(":")
                return ssm_backends[account_id][region].get_parameter(name).value
            from moto.secretsmanager.models import secretsmanager_backends
            # secret-id may be an ARN (contains ':'); split from the right on the known keywords
            parts = rest.split(":SecretString:")
            secret_id, json_key = (parts[0], parts[1].split(":")[0] if len(parts) > 1 else "")
            sv = secretsmanager_backends[account_id][region].get_secret_value(secret_id, None, None)
            sv = json.loads(sv) if isinstance(sv, str) else sv
            s = sv["SecretString"]
            return json.loads(s).get(json_key, "") if json_key else s

        if isinstance(value, str):
            return DYN.sub(one, value)
        if isinstance(value, dict):
            return {k: resolve_dynamic(v, account_id, region) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve_dynamic(v, account_id, region) for v in value]
        return value

    _orig_parse_resource = cfp.parse_resource

    def parse_resource(resource_json, resources_map):
        out = _orig_parse_resource(resource_json, resources_map)
        if not out:
            return out
        klass, rjson, rtype = out
        rjson = resolve_dynamic(rjson, resources_map._account_id, resources_map._region_name)
        return klass, rjson, rtype

    cfp.parse_resource = parse_resource

    # ---------------------------------------------------------------- P18 change set replacement facts
    # Each Modify change carries Replacement and per-property Details (Target.RequiresRecreation), computed
    # from the registry schemas' createOnlyProperties as CloudFormation does. The schemas are cfn-lint's
    # (a dependency of moto, pinned in requirements.txt: no copy to keep in sync). Plain moto: a change is
    # only {Action, LogicalResourceId, ResourceType}, so a tool can't see that an update replaces a resource.
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    def create_only_paths(region: str, rtype: str) -> list[list[str]] | None:
        for r in (region, "us-east-1"):
            try:
                schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(r, rtype).schema
            except Exception:  # noqa: BLE001 - unknown region or type in cfn-lint's data
                continue
            return [p.split("/")[2:] for p in schema.get("createOnlyProperties", []) if p.startswith("/properties/")]
        return None

    _missing = object()

    def at(value, path):
        for key in path:
            if not isinstance(value, dict):
                return _missing
            value = value.get(key, _missing)
            if value is _missing:
                return _missing
        return value

    class Obj:  # moto's serializer reads the output shape's members as snake_case attributes
        def __init__(self, **kw):
            self.__dict__.update(kw)

    def resource_change(action, name, rtype, old, new, region, physical):
        fields = dict(action=action, logical_resource_id=name, resource_type=rtype, physical_resource_id=physical)
        if action != "Modify":
            return Obj(**fields)
        old_props, new_props = old.get("Properties") or {}, new.get("Properties") or {}
        paths = create_only_paths(region, rtype) or []
        details, replacement = [], "False"
        for prop in sorted(set(old_props) | set(new_props)):
            if old_props.get(prop, _missing) == new_props.get(prop, _missing):
                continue
            recreation = "Never"
            for path in (p for p in paths if p and p[0] == prop):
                if "*" in path:
                    recreation = "Conditionally"
                elif at(old_props, path) != at(new_props, path):
                    recreation = "Always"
                    break
            if recreation == "Always":
                replacement = "True"
            elif recreation == "Conditionally" and replacement == "False":
                replacement = "Conditional"
            details.append(Obj(target=Obj(attribute="Properties", name=prop, requires_recreation=recreation),
                               evaluation="Static", change_source="DirectModification"))
        scope = ["Properties"] if details else []
        return Obj(**fields, replacement=replacement, scope=scope, details=details)

    def change_set_diff(self):
        rm = self.stack.resource_map
        old_map = rm._resource_json_map
        new_map = (self.template_dict or {}).get("Resources") or {}
        out = []
        for action, resources in rm.build_change_set_actions(self.template_dict).items():
            for name, r in resources.items():
                physical = None
                if name in getattr(rm, "_parsed_resources", {}):
                    physical = getattr(rm._parsed_resources[name], "physical_resource_id", None)
                # moto's DescribeChangeSet wraps each in {Type: Resource, ResourceChange: ...} (ChangeDTO)
                out.append(resource_change(
                    action, name, r["ResourceType"], old_map.get(name) or {}, new_map.get(name) or {},
                    self.stack.region_name, physical if isinstance(physical, str) else None))
        return out

    cfm.ChangeSet.diff = change_set_diff

    # ---------------------------------------------------------------- P20 change sets by name within a stack
    # DescribeChangeSet / DeleteChangeSet by name look in the stack given (moto: the first change set of that
    # name in the region, another stack's "cdk-deploy-change-set"); describing a missing one is
    # ChangeSetNotFound, deleting it succeeds, as AWS answers (moto: DeleteChangeSet crashed with HTTP 500,
    # which the CDK CLI's bootstrap hits); ListChangeSets lists the stack's own (moto: the region's).
    from moto.cloudformation.exceptions import CloudFormationError

    class ChangeSetNotFound(CloudFormationError):
        code = "ChangeSetNotFound"

    def find_change_set(be, name, stack_name):
        cs = be.change_sets.get(name)
        if cs is None:
            matches = [c for c in be.change_sets.values() if c.change_set_name == name
                       and (not stack_name or stack_name in (c.stack_name, c.stack_id))]
            cs = matches[-1] if matches else None
        if cs is None:
            raise ChangeSetNotFound(f"ChangeSet [{name}] does not exist")
        return cs

    def describe_change_set_resp(self):
        cs = find_change_set(self.cloudformation_backend, self._get_param("ChangeSetName"), self._get_param("StackName"))
        return ActionResult(cs)

    def delete_change_set_resp(self):
        be = self.cloudformation_backend
        try:
            cs = find_change_set(be, self._get_param("ChangeSetName"), self._get_param("StackName"))
        except ChangeSetNotFound:
            return ActionResult({})  # as AWS: deleting a change set that is not there succeeds
        del be.change_sets[cs.change_set_id]
        return ActionResult({})

    def list_change_sets_resp(self):
        stack_name = self._get_param("StackName")
        return ActionResult({"Summaries": [c for c in self.cloudformation_backend.change_sets.values()
                                           if stack_name in (c.stack_name, c.stack_id)]})

    cfr.CloudFormationResponse.describe_change_set = describe_change_set_resp
    cfr.CloudFormationResponse.delete_change_set = delete_change_set_resp
    cfr.CloudFormationResponse.list_change_sets = list_change_sets_resp

    # ---------------------------------------------------------------- P19 AssumeRole of a missing role fails
    # Real STS answers AccessDenied when the role does not exist (so a deploy tool's fallback from the CDK's
    # bootstrap roles to the caller's credentials can be tested); moto lets anyone assume any ARN.
    # MOTO_HARNESS_LENIENT_ASSUME_ROLE=1 restores moto's behaviour.
    if os.environ.get("MOTO_HARNESS_LENIENT_ASSUME_ROLE") != "1":
        from moto.iam.models import iam_backends
        from moto.sts.exceptions import STSClientError
        from moto.sts.models import STSBackend

        _orig_assume_role = STSBackend.assume_role

        def assume_role(self, region_name, role_session_name, role_arn, policy, duration, external_id):
            parts = (role_arn or "").split(":")
            account = parts[4] if len(parts) > 5 else ""
            name = parts[5].split("/")[-1] if len(parts) > 5 and parts[5].startswith("role/") else None
            partition = parts[1] if len(parts) > 1 else "aws"
            exists = False
            if name and account:
                try:
                    iam_backends[account][partition if partition != "aws" else "global"].get_role(name)
                    exists = True
                except Exception:  # noqa: BLE001 - NotFoundException, or an unknown account/partition
                    exists = False
            if not exists:
                raise STSClientError(
                    "AccessDenied",
                    f"User: arn:{partition}:iam::{self.account_id}:user/moto is not authorized to perform: "
                    f"sts:AssumeRole on resource: {role_arn}")
            return _orig_assume_role(self, region_name, role_session_name, role_arn, policy, duration, external_id)

        STSBackend.assume_role = assume_role

    # ---------------------------------------------------------------- P21 KMS key tags from CloudFormation
    # AWS::KMS::Key takes Tags as [{Key, Value}] like every resource; moto hands them to CreateKey, which
    # reads the API's [{TagKey, TagValue}], so a tagged key failed with KeyError 'TagKey'.
    from moto.kms.models import Key as KmsKey

    _orig_kms_key_from_cfn = KmsKey.create_from_cloudformation_json.__func__

    def kms_key_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json.get("Properties", {})
        tags = properties.get("Tags")
        if tags:
            properties["Tags"] = [{"TagKey": t.get("TagKey", t.get("Key")), "TagValue": t.get("TagValue", t.get("Value"))}
                                  for t in tags]
        return _orig_kms_key_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    KmsKey.create_from_cloudformation_json = classmethod(kms_key_from_cfn)


    # ---------------------------------------------------------------- P22 in-place update of types moto cannot update
    # moto updates a modified resource through its model's update_from_cloudformation_json; a type without one
    # (AWS::Logs::LogGroup, every P10 stub such as AWS::SecretsManager::Secret) came back None and replaced the
    # resource in the stack, so a GetAtt of it later in the same update failed ("Fn::GetAtt references undefined
    # resource"), a Ref resolved to None (a {{resolve:secretsmanager:...}} of it: SecretNotFoundException), and
    # DescribeStackResources lost it. CloudFormation updates such a resource in place (the change set's
    # Replacement said False): the resource is kept, same physical id, a stub taking the new properties.
    _orig_parse_and_update = cfp.parse_and_update_resource

    def parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name):
        updated = _orig_parse_and_update(logical_id, resource_json, resources_map, account_id, region_name)
        if updated is not None:
            return updated
        original = resources_map._parsed_resources.get(logical_id)
        if original is None:
            return None
        if hasattr(original, "props"):  # a P10 stub: its GetAtt answers come from its properties
            parsed = cfp.parse_resource_and_generate_name(logical_id, resource_json, resources_map)
            if parsed:
                original.props = parsed[1].get("Properties", {})
        return original

    cfp.parse_and_update_resource = parse_and_update_resource

    # ---------------------------------------------------------------- P23 tagged bucket without BucketName updated
    # moto's in-place bucket update tags the bucket by properties["BucketName"], so updating a bucket whose name
    # CloudFormation generated (no BucketName) with Tags failed with KeyError 'BucketName'; it is the original's.
    from moto.s3.models import FakeBucket

    _orig_bucket_update = FakeBucket.update_from_cloudformation_json.__func__

    def bucket_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        properties = cloudformation_json.setdefault("Properties", {})
        named = "BucketName" in properties
        if not named:
            properties["BucketName"] = original_resource.name
        try:
            return _orig_bucket_update(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                       region_name)
        finally:
            if not named:
                properties.pop("BucketName", None)

    FakeBucket.update_from_cloudformation_json = classmethod(bucket_update)

    # ---------------------------------------------------------------- P24 in-place updates of SGs and event rules
    # moto "updates" an AWS::EC2::SecurityGroup and an AWS::Events::Rule by deleting it and creating a new one (new
    # group id, new generated rule name) whatever changed; CloudFormation updates both in place unless a create-only
    # property changes (SG: GroupName, GroupDescription, VpcId; rule: Name). So: a rule is re-put under its own
    # name (same physical id, new properties); a security group is kept (same id; its rules are not re-applied).
    from moto.ec2.models.security_groups import SecurityGroup as Ec2SecurityGroup
    from moto.events.models import Rule as EventsRule

    _orig_sg_update = Ec2SecurityGroup.update_from_cloudformation_json.__func__

    def sg_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        p = cloudformation_json.get("Properties", {})
        in_place = (p.get("GroupDescription") == original_resource.description
                    and p.get("VpcId") == original_resource.vpc_id
                    and p.get("GroupName", original_resource.name) == original_resource.name)
        if in_place:
            return original_resource
        return _orig_sg_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)

    Ec2SecurityGroup.update_from_cloudformation_json = classmethod(sg_update)

    _orig_rule_update = EventsRule.update_from_cloudformation_json.__func__

    def rule_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        p = cloudformation_json.get("Properties", {})
        if p.get("Name", original_resource.name) == original_resource.name:
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(original_resource.name, cloudformation_json, account_id,
                                                       region_name)
        return _orig_rule_update(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                 region_name)

    EventsRule.update_from_cloudformation_json = classmethod(rule_update)

    # ---------------------------------------------------------------- P25 SSM-typed parameters: name and value
    # DescribeStacks gives an AWS::SSM::Parameter::Value<...> parameter's ParameterValue as the SSM parameter's
    # name (what the caller passed, or the Default) and its value as ResolvedValue; moto gave the value as
    # ParameterValue (and no ResolvedValue), so a tool comparing the deployed parameters with its own saw a change.
    _orig_parameter_list = cfm.Stack.parameter_list.fget

    def parameter_list(self):
        out = _orig_parameter_list(self)
        slots = (self.template_dict or {}).get("Parameters", {}) if isinstance(self.template_dict, dict) else {}
        given = self.resource_map.input_parameters or {}
        for p in out:
            ptype = str(slots.get(p["ParameterKey"], {}).get("Type", ""))
            if not ptype.startswith("AWS::SSM::Parameter::"):
                continue
            name = given.get(p["ParameterKey"], slots[p["ParameterKey"]].get("Default"))
            if name is None:
                continue
            value = p["ParameterValue"]
            p["ResolvedValue"] = ",".join(map(str, value)) if isinstance(value, list) else value
            p["ParameterValue"] = name
        return out

    cfm.Stack.parameter_list = property(parameter_list)

    # ---------------------------------------------------------------- P26 virtual-time waits, per region
    # moto's Wait states sleep their real seconds. A test that runs a polling job net opts its own region in:
    # POST /moto-api/harness/virtual-waits {"region": R, "account_id": A (default 123456789012),
    # "enabled": true|false}; a Wait of an execution in (A, R) then returns at once and its seconds are tallied
    # (the answer, and GET ...?region=R, give {"enabled": ..., "virtualSeconds": ...}). Other regions wait
    # in real time, as before.
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.moto_api._internal import urls as moto_api_urls
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    virtual_waits: dict[tuple[str, str], int] = {}
    virtual_waits_lock = threading.Lock()
    _orig_wait_interval = WaitFunction._wait_interval

    def wait_interval(self, env, wait_seconds):
        details = env.aws_execution_details
        with virtual_waits_lock:
            key = (details.account, details.region)
            if key in virtual_waits:
                virtual_waits[key] += max(int(wait_seconds), 0)
                return None
        return _orig_wait_interval(self, env, wait_seconds)

    WaitFunction._wait_interval = wait_interval

    def harness_virtual_waits(request, full_url, headers):
        from urllib.parse import parse_qs, urlparse
        query = {k: v[0] for k, v in parse_qs(urlparse(full_url).query).items()}
        length = int(headers.get("Content-Length") or 0)
        body = json.loads(request.environ["wsgi.input"].read(length) or b"{}") if length else {}
        region = body.get("region") or query.get("region")
        account = body.get("account_id") or query.get("account_id") or DEFAULT_ACCOUNT_ID
        if not region:
            return 400, {}, json.dumps({"message": "name the region: {\"region\": \"...\", \"enabled\": true}"})
        key = (account, region)
        with virtual_waits_lock:
            if "enabled" in body:
                if body["enabled"]:
                    virtual_waits.setdefault(key, 0)
                else:
                    virtual_waits.pop(key, None)
            state = {"enabled": key in virtual_waits, "virtualSeconds": virtual_waits.get(key, 0)}
        return 200, {"Content-Type": "application/json"}, json.dumps(state)

    moto_api_urls.url_paths["{0}/moto-api/harness/virtual-waits"] = harness_virtual_waits

def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=int(os.environ.get("MOTO_HARNESS_PORT", "0")))
    ap.add_argument("--endpoint-file")
    ap.add_argument("--no-patches", action="store_true")
    args = ap.parse_args()

    import warnings
    warnings.filterwarnings("ignore")
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from moto.server import ThreadedMotoServer

    if not args.no_patches:
        apply_patches()
    srv = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    os.environ["MOTO_PORT"] = str(port)  # used by the Step Functions interpreter to call services
    endpoint = f"http://{host}:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(endpoint + "/moto-api/").read()
            break
        except Exception:
            time.sleep(0.02)
    # run state machines for real; Lambda invocations answer without Docker
    req = urllib.request.Request(endpoint + "/moto-api/config", method="POST",
                                 data=json.dumps({"stepfunctions": {"execute_state_machine": True},
                                                  "lambda": {"use_docker": False}}).encode())
    urllib.request.urlopen(req).read()
    if args.endpoint_file:
        with open(args.endpoint_file + ".tmp", "w") as f:
            f.write(endpoint + "\n")
        os.replace(args.endpoint_file + ".tmp", args.endpoint_file)
    print(f"MOTO_ENDPOINT={endpoint}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
