"""The delivery queue's settings agree with the retry schedule and the delivery function (template.yaml)."""

from __future__ import annotations

from typing import Any

from knowrithm_core.webhooks.backoff import DEFAULT_SCHEDULE, max_receive_count


def test_visibility_timeout_is_at_least_six_times_the_function_timeout(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    queue = resources["DeliveryQueue"]["Properties"]
    function = resources["WebhookDeliveryFunction"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]


def test_max_receive_count_covers_every_attempt_of_the_default_schedule(template: dict[str, Any]) -> None:
    redrive = template["Resources"]["DeliveryQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] >= max_receive_count(DEFAULT_SCHEDULE)
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeliveryDLQ", "Arn"]}


def test_fan_out_reads_only_outbox_inserts_and_never_drops_a_failure(template: dict[str, Any]) -> None:
    source = template["Resources"]["EventFanoutFunction"]["Properties"]["Events"]["Outbox"]["Properties"]
    pattern = source["FilterCriteria"]["Filters"][0]["Pattern"]
    assert '"_type": {"S": ["event"]}' in pattern and '"INSERT"' in pattern
    assert source["BisectBatchOnFunctionError"] is True and "ReportBatchItemFailures" in source["FunctionResponseTypes"]
    assert source["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["FanoutFailureQueue", "Arn"]}
