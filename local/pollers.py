"""Event-source pollers: what Lambda's event source mappings do, driven by the template's SQS and DynamoDB events.

Each poller has ``run_once()`` (one receive / one read per shard, then invoke); a
:class:`PollerGroup` runs every poller on its own thread about every 200 ms. The SQS
poller lives in :mod:`local.sqs_poller`, the stream poller in :mod:`local.stream_poller`;
this module reads the template and runs them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from local import moto_streams
from local.batch import Invoke
from local.filters import parse_filters
from local.sqs_poller import SqsPoller, SqsSource
from local.stream_poller import StreamPoller, StreamSource
from local.template import FunctionSpec, Stack

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient
    from mypy_boto3_sqs.client import SQSClient

log = logging.getLogger("local.pollers")
REPORT_FAILURES = "ReportBatchItemFailures"

__all__ = ["Poller", "PollerGroup", "SqsPoller", "SqsSource", "StreamPoller", "StreamSource", "build_pollers"]


class Poller(Protocol):
    @property
    def name(self) -> str: ...

    def run_once(self) -> int:
        """Handle at most one batch per queue or shard; returns the number of records consumed."""
        ...


def _sqs(endpoint_url: str | None, region: str) -> SQSClient:
    import boto3

    return boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)


def _dynamodb(endpoint_url: str | None, region: str) -> DynamoDBClient:
    import boto3

    return boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region)


def _streams(endpoint_url: str | None, region: str) -> DynamoDBStreamsClient:
    import boto3

    return boto3.client("dynamodbstreams", endpoint_url=endpoint_url, region_name=region)


def build_pollers(
    stack: Stack,
    specs: Mapping[str, FunctionSpec],
    invoke: Invoke,
    endpoint_url: str | None = None,
    long_poll_seconds: int = 0,
) -> list[Poller]:
    """One poller per SQS / DynamoDB event of every function (``invoke(function, event)`` runs the handler)."""
    pollers: list[Poller] = []
    for spec in specs.values():
        for event_name, event in spec.events.items():
            kind = event.get("Type")
            if kind not in ("SQS", "DynamoDB"):
                continue
            props = stack.resolve(event.get("Properties", {}))
            common: dict[str, Any] = {
                "function": spec.logical_id,
                "event_name": event_name,
                "filters": parse_filters(props.get("FilterCriteria")),
                "report_failures": REPORT_FAILURES in props.get("FunctionResponseTypes", []),
                "window_seconds": float(props.get("MaximumBatchingWindowInSeconds", 0)),
            }
            if kind == "SQS":
                source = SqsSource(queue_arn=props["Queue"], batch_size=int(props.get("BatchSize", 10)), **common)
                client = _sqs(endpoint_url, stack.region)
                pollers.append(SqsPoller(source, invoke, client, stack.region, long_poll_seconds))
            else:
                on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                stream = StreamSource(
                    stream_arn=props["Stream"],
                    function_arn=stack.arn(spec.logical_id),
                    batch_size=int(props.get("BatchSize", 100)),
                    starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
                    bisect=bool(props.get("BisectBatchOnFunctionError", False)),
                    max_retries=int(props.get("MaximumRetryAttempts", -1)),
                    on_failure=on_failure,
                    **common,
                )
                clients = (_dynamodb(endpoint_url, stack.region), _streams(endpoint_url, stack.region))
                poller = StreamPoller(
                    stream,
                    invoke,
                    *clients,
                    _sqs(endpoint_url, stack.region),
                    stack.region,
                    moto_streams.acknowledge,
                    moto_streams.hold,
                )
                moto_streams.register(stream.stream_arn, poller.name)  # an in-process moto trims what all have read
                pollers.append(poller)
    return pollers


class PollerGroup:
    """Runs each poller on its own daemon thread until :meth:`stop` (polls again at once while there is work)."""

    def __init__(self, pollers: Sequence[Poller], interval: float = 0.2) -> None:
        self.pollers = list(pollers)
        self.interval = interval
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def run_once(self) -> int:
        return sum(poller.run_once() for poller in self.pollers)

    def _loop(self, poller: Poller) -> None:
        while not self._stop.is_set():
            try:
                handled = poller.run_once()
            except Exception:  # noqa: BLE001 - a poller error (moto gone, bad config) must not kill the thread
                log.exception("poller %s failed", poller.name)
                handled = 0
            self._stop.wait(0 if handled else self.interval)

    def start(self) -> None:
        for poller in self.pollers:
            thread = threading.Thread(target=self._loop, args=(poller,), name=f"poller-{poller.name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
