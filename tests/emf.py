"""Reading CloudWatch EMF documents from what a handler printed (see the ``emf`` fixture of tests/component)."""

from __future__ import annotations

import json

from knowrithm_core.observability import NAMESPACE

Metric = tuple[str, str, dict[str, str], list[float]]


def metrics_in(out: str) -> list[Metric]:
    """(name, unit, dimensions, values) of every metric of every EMF document in ``out``."""
    found: list[Metric] = []
    for line in out.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue  # a log line
        document = json.loads(line)
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE
        (names,) = directive["Dimensions"]
        dimensions = {name: document[name] for name in names}
        for metric in directive["Metrics"]:
            value = document[metric["Name"]]
            found.append((metric["Name"], metric["Unit"], dimensions, value if isinstance(value, list) else [value]))
    return found


def named(metrics: list[Metric], name: str) -> list[tuple[str, dict[str, str], list[float]]]:
    return [(unit, dimensions, values) for metric, unit, dimensions, values in metrics if metric == name]
