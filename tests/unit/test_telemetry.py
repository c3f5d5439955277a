"""knowrithm_core.telemetry: buffered per dimension set, flushed as EMF, nothing at all when disabled."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from knowrithm_core import telemetry
from knowrithm_core.observability import SERVICE_NAME
from tests.emf import metrics_in, named


@pytest.fixture(autouse=True)
def clean() -> Any:
    telemetry.flush()  # nothing left from another test
    yield
    telemetry.flush()


def test_disabled_metrics_record_nothing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN metrics disabled WHEN values are recorded, then metrics enabled and flushed
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    telemetry.count(telemetry.CHAT_TURNS, responder="extractive")
    telemetry.timing(telemetry.ANSWER_LATENCY, 12.5)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    telemetry.flush()
    # THEN nothing was kept, and nothing is printed
    assert metrics_in(capsys.readouterr().out) == []


def test_one_document_per_dimension_set_with_every_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN metrics enabled WHEN eight threads record deliveries of two outcomes, and one latency each
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    start = threading.Barrier(8)

    def deliver(n: int) -> None:
        start.wait()
        telemetry.count(telemetry.DELIVERIES, outcome="succeeded" if n % 2 else "retried")
        telemetry.timing(telemetry.DELIVERY_LATENCY, float(n))

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    capsys.readouterr()
    telemetry.flush()
    metrics = metrics_in(capsys.readouterr().out)
    # THEN each outcome is its own document with all four of its values, the latencies share the plain one
    deliveries = sorted(named(metrics, telemetry.DELIVERIES), key=lambda m: m[1]["outcome"])
    assert deliveries == [
        ("Count", {"service": SERVICE_NAME, "outcome": "retried"}, [1.0] * 4),
        ("Count", {"service": SERVICE_NAME, "outcome": "succeeded"}, [1.0] * 4),
    ]
    ((unit, dimensions, values),) = named(metrics, telemetry.DELIVERY_LATENCY)
    assert unit == "Milliseconds" and dimensions == {"service": SERVICE_NAME}
    assert sorted(values) == [float(n) for n in range(8)]
    # AND a second flush has nothing left to write
    telemetry.flush()
    assert metrics_in(capsys.readouterr().out) == []


def test_a_metered_handler_flushes_even_when_it_raises(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a metered handler that records a failure and raises
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")

    @telemetry.metered
    def handler(event: Any, context: Any) -> None:
        telemetry.count(telemetry.INGEST_FAILURES)
        raise RuntimeError("boom")

    # WHEN it is invoked THEN the error propagates and the metric was still written
    with pytest.raises(RuntimeError):
        handler({}, None)
    assert named(metrics_in(capsys.readouterr().out), telemetry.INGEST_FAILURES) == [
        ("Count", {"service": SERVICE_NAME}, [1.0])
    ]
