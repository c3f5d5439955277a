"""template.yaml's operations: alarms on every queue, DLQ and function to one topic, the dashboard, access logs."""

from __future__ import annotations

import json
import re
from typing import Any

SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
PSEUDO = {"AWS::Region", "AWS::StackName", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"}


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v.get("Properties", {}) for k, v in template["Resources"].items() if v["Type"] == kind}


def alarmed_queues(template: dict[str, Any], metric: str) -> set[str]:
    """Queues (logical ids) with an alarm on ``metric`` (a single metric, QueueName = !GetAtt Q.QueueName)."""
    queues: set[str] = set()
    for props in of_type(template, "AWS::CloudWatch::Alarm").values():
        if props.get("Namespace") == "AWS/SQS" and props.get("MetricName") == metric:
            for dimension in props["Dimensions"]:
                if dimension["Name"] == "QueueName":
                    queues.add(dimension["Value"]["Fn::GetAtt"][0])
    return queues


def dead_letter_queues(template: dict[str, Any]) -> dict[str, str]:
    """Each queue with a RedrivePolicy -> its DLQ's logical id."""
    return {
        name: props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for name, props in of_type(template, "AWS::SQS::Queue").items()
        if "RedrivePolicy" in props
    }


def on_failure_queues(template: dict[str, Any]) -> set[str]:
    """Queues that an event source mapping sends the batches it gave up on to."""
    found: set[str] = set()
    for props in of_type(template, "AWS::Serverless::Function").values():
        for event in props.get("Events", {}).values():
            destination = event.get("Properties", {}).get("DestinationConfig", {}).get("OnFailure", {})
            if destination.get("Type") == "SQS":
                found.add(destination["Destination"]["Fn::GetAtt"][0])
    return found


def test_every_dlq_and_on_failure_queue_alarms_as_soon_as_it_holds_a_message(template: dict[str, Any]) -> None:
    # GIVEN every DLQ named by a RedrivePolicy and every on-failure destination of an event source
    dlqs = set(dead_letter_queues(template).values()) | on_failure_queues(template)
    assert {"DeliveryDLQ", "IngestDLQ", "ChatDLQ", "FanoutFailureQueue"} <= dlqs
    # THEN each has a depth alarm that fires on a single visible message
    assert dlqs <= alarmed_queues(template, "ApproximateNumberOfMessagesVisible")
    for props in of_type(template, "AWS::CloudWatch::Alarm").values():
        if props.get("MetricName") == "ApproximateNumberOfMessagesVisible":
            assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"


def test_every_queue_with_a_dlq_alarms_on_its_oldest_message(template: dict[str, Any]) -> None:
    # GIVEN the queues that have a DLQ / THEN each has an alarm of its own (the age of its oldest message)
    sources = set(dead_letter_queues(template))
    assert {"DeliveryQueue", "IngestQueue", "ChatQueue"} <= sources
    assert sources <= alarmed_queues(template, "ApproximateAgeOfOldestMessage")
    delivery = next(
        p
        for p in of_type(template, "AWS::CloudWatch::Alarm").values()
        if p.get("Dimensions") and p["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["DeliveryQueue", "QueueName"]}
    )
    assert delivery["Threshold"] == {"Ref": "DeliveryAgeAlarmSeconds"}  # a parameter


def test_every_function_alarms_on_errors_and_throttles(template: dict[str, Any]) -> None:
    alarmed: dict[str, set[str]] = {}
    for props in of_type(template, "AWS::CloudWatch::Alarm").values():
        if props.get("Namespace") == "AWS/Lambda":
            (dimension,) = props["Dimensions"]
            assert dimension["Name"] == "FunctionName"
            alarmed.setdefault(dimension["Value"]["Ref"], set()).add(props["MetricName"])
    functions = set(of_type(template, "AWS::Serverless::Function"))
    assert len(functions) >= 13
    assert {name: alarmed.get(name, set()) for name in functions} == {
        name: {"Errors", "Throttles"} for name in functions
    }


def test_the_api_alarms_on_its_5xx_rate(template: dict[str, Any]) -> None:
    (alarm,) = [p for p in of_type(template, "AWS::CloudWatch::Alarm").values() if "Metrics" in p]
    stats = {m["Id"]: m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert {m["MetricName"] for m in stats.values()} == {"5xx", "Count"}
    assert all(m["Namespace"] == "AWS/ApiGateway" for m in stats.values())
    assert all(m["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}] for m in stats.values())
    (expression,) = [m for m in alarm["Metrics"] if m.get("ReturnData")]
    assert all(metric_id in expression["Expression"] for metric_id in stats)
    assert alarm["Threshold"] == {"Ref": "Api5xxRatePercent"}


def test_every_alarm_notifies_the_alarm_topic_and_its_email_is_optional(template: dict[str, Any]) -> None:
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 2 * 13 + 4 + 3 + 1
    for name, props in alarms.items():
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert props["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert props["TreatMissingData"] == "notBreaching", name
    assert template["Resources"]["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    (subscription,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Subscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    assert template["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}


def substituted_dashboard(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The dashboard body with every ``${...}`` filled in as CloudFormation would (parameters by their defaults)."""
    (props,) = of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = props["DashboardBody"]["Fn::Sub"]
    assert isinstance(body, str)
    names: set[str] = set()

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        logical = name.split(".", 1)[0]
        if name in template["Parameters"]:
            return str(template["Parameters"][name]["Default"])
        assert name in PSEUDO or logical in template["Resources"], f"unknown ${{{name}}}"
        names.add(logical)
        return f"physical-{name.replace('.', '-')}"

    return json.loads(SUB_VARIABLE.sub(fill, body)), names


def test_the_dashboard_is_json_naming_every_function_and_queue(template: dict[str, Any]) -> None:
    # WHEN the body's placeholders are substituted
    dashboard, names = substituted_dashboard(template)
    # THEN it is a dashboard body whose metrics name every function and every queue
    assert names >= set(of_type(template, "AWS::Serverless::Function")) | set(of_type(template, "AWS::SQS::Queue"))
    assert "HttpApi" in names
    metric_args = {
        str(arg)
        for widget in dashboard["widgets"]
        if widget["type"] == "metric"
        for metric in widget["properties"]["metrics"]
        for arg in metric
    }
    for function in of_type(template, "AWS::Serverless::Function"):
        assert f"physical-{function}" in metric_args
    for queue in of_type(template, "AWS::SQS::Queue"):
        assert f"physical-{queue}-QueueName" in metric_args
    assert {"5xx", "Count", "Latency", "Errors", "Duration", "ApproximateAgeOfOldestMessage"} <= metric_args
    for widget in dashboard["widgets"]:
        assert {"type", "x", "y", "width", "height", "properties"} <= set(widget)


def test_the_http_api_writes_json_access_logs_and_throttles_by_default(template: dict[str, Any]) -> None:
    api = template["Resources"]["HttpApi"]["Properties"]
    # GIVEN the access log settings: JSON lines into a log group with a retention
    settings = api["AccessLogSettings"]
    log_group = settings["DestinationArn"]["Fn::GetAtt"][0]
    assert template["Resources"][log_group]["Type"] == "AWS::Logs::LogGroup"
    assert template["Resources"][log_group]["Properties"]["RetentionInDays"] == {"Ref": "AccessLogRetentionDays"}
    line = json.loads(settings["Format"])
    assert {"requestId", "ip", "method", "path", "status", "latency", "integrationError"} <= set(line)
    assert all(value.startswith("$context.") for value in line.values())
    # AND default route throttling from parameters with positive defaults
    throttling = api["DefaultRouteSettings"]
    for key, parameter in (
        ("ThrottlingBurstLimit", "ApiThrottlingBurstLimit"),
        ("ThrottlingRateLimit", "ApiThrottlingRateLimit"),
    ):
        assert throttling[key] == {"Ref": parameter}
        assert int(template["Parameters"][parameter]["Default"]) > 0


def test_every_function_declares_aws_endpoint_url_only_for_sam_local(template: dict[str, Any]) -> None:
    # SAM's --env-vars only overrides variables the template declares: the Globals declare AWS_ENDPOINT_URL,
    # which CloudFormation drops (AWS::NoValue) unless LocalEndpointUrl is set
    variable = template["Globals"]["Function"]["Environment"]["Variables"]["AWS_ENDPOINT_URL"]
    assert variable == {"Fn::If": ["HasLocalEndpoint", {"Ref": "LocalEndpointUrl"}, {"Ref": "AWS::NoValue"}]}
    assert template["Parameters"]["LocalEndpointUrl"]["Default"] == ""
    assert template["Conditions"]["HasLocalEndpoint"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "LocalEndpointUrl"}, ""]}]
    }
